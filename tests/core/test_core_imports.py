"""Item 2: importing result files cannot poison the cache (schema, limits, clashes, names, bundle members)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from concept_depth.analyses import probe as pipeline
from concept_depth.core.errors import BadInputError
from concept_depth.export.bundle import make_bundle
from concept_depth.results.imports import IMPORT_KIND, import_results
from concept_depth.results.run import MAX_RESULT_BYTES, RunResult, parse_result_bytes
from concept_depth.storage.store import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "cache")


def _doc(make_run, **changes) -> dict:
    doc = json.loads(make_run(key="from-gpu").to_json())
    doc.update(changes)
    return doc


def _one(store, name: str, data) -> object:
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    report = import_results(store, [(name, payload)])
    assert len(report.outcomes) == 1
    return report.outcomes[0]


def test_a_valid_file_is_imported_apart_from_computed_runs(store, make_run):
    outcome = _one(store, "good.json", _doc(make_run))
    assert outcome.status == "imported" and outcome.key == "import-from-gpu"
    assert store.get_result("run", "from-gpu") is None and store.get_result("run", "import-from-gpu") is None
    assert store.get_result(IMPORT_KIND, "import-from-gpu") is not None
    runs = pipeline.list_runs(store)
    assert [r.key for r in runs] == ["import-from-gpu"] and runs[0].extra["imported"]["file"] == "good.json"
    assert pipeline.load_run(store, "import-from-gpu").depth.peak_accuracy == runs[0].depth.peak_accuracy
    again = _one(store, "good-copy.json", _doc(make_run))
    assert again.status == "unchanged" and again.ok and len(pipeline.list_runs(store)) == 1
    pipeline.delete_run(store, "import-from-gpu")
    assert pipeline.list_runs(store) == []


def test_a_file_with_a_computed_runs_key_is_a_clash_and_changes_nothing(store, make_run):
    computed = make_run(key="abc123")
    store.put_result("run", "abc123", computed.to_dict())
    poisoned = _doc(make_run, key="abc123")
    poisoned["depth"]["peak_accuracy"] = 0.999
    outcome = _one(store, "poison.json", poisoned)
    assert outcome.status == "clash" and len(outcome.message.splitlines()) == 1
    assert outcome.message.startswith("poison.json: clash: a run with key abc123 was computed in this cache")
    assert store.get_result("run", "abc123") == computed.to_dict()  # the computed run is untouched
    assert store.list_results(IMPORT_KIND) == []


def test_an_import_with_other_numbers_under_a_taken_key_is_a_clash(store, make_run):
    assert _one(store, "a.json", _doc(make_run)).status == "imported"
    other = _doc(make_run)
    other["layers"][0]["accuracy"] = 0.123
    outcome = _one(store, "b.json", other)
    assert outcome.status == "clash" and "already exists with other numbers" in outcome.message
    assert pipeline.load_run(store, "import-from-gpu").layers[0].accuracy != 0.123


def _deep_set(doc, path, value):
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: _deep_set(d, ("depth", "peak_accuracy"), None), "depth.peak_accuracy must be a number"),
    (lambda d: _deep_set(d, ("layers",), "0,1,2"), "layers must be a list"),
    (lambda d: _deep_set(d, ("layers", 2, "accuracy"), 7.5), "layers[2].accuracy must be at most 1"),
    (lambda d: _deep_set(d, ("n_samples",), 10**30), "n_samples must be at most"),
    (lambda d: _deep_set(d, ("spec", "model_label"), "x" * 5000), "spec.model_label is longer than"),
    (lambda d: _deep_set(d, ("spec", "model_label"), "<img src=x onerror=alert(1)>"), "markup"),
    (lambda d: _deep_set(d, ("depth", "jumping_point"), 99), "depth.jumping_point 99 is not one of the layers"),
    (lambda d: _deep_set(d, ("schema",), "concept-depth/other@9"), "not a concept-depth result"),
    (lambda d: _deep_set(d, ("layers",), d["layers"] + d["layers"]), "layer numbers repeat"),
    (lambda d: d.pop("depth") and d, "lacks 'depth'"),
])
def test_malformed_results_are_refused_in_one_line(store, make_run, mutate, expected):
    outcome = _one(store, "bad.json", mutate(_doc(make_run)))
    assert outcome.status == "invalid" and expected in outcome.message, outcome.message
    assert len(outcome.message.splitlines()) == 1 and len(outcome.message) < 300
    assert pipeline.list_runs(store) == []


@pytest.mark.parametrize("text, expected", [
    (b'{"schema": "concept-depth/result@1", "n_samples": NaN}', "NaN is not a number JSON allows"),
    (b'{"schema": "concept-depth/result@1", "n_samples": 1e999}', "out of range"),
    (b'[{"schema": "concept-depth/result@1"}]', "must be a JSON object, not list"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_non_finite_numbers_wrong_shapes_and_bad_bytes_are_refused(store, text, expected):
    outcome = _one(store, "crafted.json", text)
    assert outcome.status == "invalid" and expected in outcome.message, outcome.message
    assert len(outcome.message.splitlines()) == 1


def test_huge_files_and_layer_counts_are_refused_before_parsing(store, make_run, tmp_path):
    doc = _doc(make_run)
    doc["layers"] = [dict(doc["layers"][0], layer=i) for i in range(2000)]
    doc["n_layers"] = 1999
    message = _one(store, "layers.json", doc).message
    assert "at most 1025 entries" in message or "at most 1024" in message, message
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_RESULT_BYTES + 1))
    report = import_results(store, [big])
    assert report.outcomes[0].status == "invalid" and "a result file is at most 5 MB" in report.outcomes[0].message
    with pytest.raises(BadInputError, match="at most 5 MB"):
        RunResult.load(big)  # export reads files through the same limits


def test_path_like_keys_never_become_paths_or_bundle_members(store, make_run):
    outcome = _one(store, "evil.json", _doc(make_run, key="../../etc/x"))
    assert outcome.status == "imported" and outcome.key.startswith("import-") and "/" not in outcome.key
    run = pipeline.load_run(store, outcome.key)
    assert run.extra["imported"]["source_key"] == "../../etc/x"
    crafted = [RunResult.from_dict(_doc(make_run, key="../../etc/x")), RunResult.from_dict(_doc(make_run, key="/abs")),
               RunResult.from_dict(_doc(make_run, key="..")), RunResult.from_dict(_doc(make_run, key="etc-x"))]
    with zipfile.ZipFile(io.BytesIO(make_bundle(crafted, figures=False))) as zf:
        names = zf.namelist()
    results = [n for n in names if n.startswith("results/")]
    assert results == ["results/etc-x.json", "results/abs.json", "results/run.json", "results/etc-x-2.json"]
    assert not any(".." in n or n.startswith("/") or "\\" in n for n in names)


def test_our_own_result_files_pass_the_schema(make_run):
    for run in (make_run(), make_run(cv=True), make_run(jump=None, converge=None, control=False)):
        doc = parse_result_bytes(run.to_json().encode(), "own.json")
        assert RunResult.from_dict(doc).to_dict() == run.to_dict()
