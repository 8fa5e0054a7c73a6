"""Issue 22 items 7 and 8: an imported result can neither run code nor stand in for a run computed here.

Its stored RunSpec is checked field by field when it is imported (as the command line checks its options);
a rerun never takes trust_remote_code or a local model path from it; its own timestamps never order it
before runs computed here."""

from __future__ import annotations

import json

import pytest

from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import RunSpec
from concept_depth.results.imports import import_results
from concept_depth.results.run import RunResult
from concept_depth.storage.store import Store
from concept_depth.workflows.comparison import imported_rerun_problem, rerun_description, rerun_spec, run_spec_of

SPEC = RunSpec.from_options(model="embedded", dataset="cities", limit=100)


def _import(store, make_run, run_spec: dict, **extra):
    doc = json.loads(make_run(key="crafted").to_json())
    doc["run_spec"] = run_spec
    doc.update(extra)
    report = import_results(store, [("crafted.json", json.dumps(doc).encode())])
    return report.outcomes[0]


def test_a_malformed_run_spec_is_refused_at_import(tmp_path, make_run):
    store = Store(tmp_path)
    bad = SPEC.to_dict()
    bad["extraction"]["model"]["quant"] = 7
    assert _import(store, make_run, bad).status == "invalid"
    unknown = SPEC.to_dict()
    unknown["extraction"]["model"]["auto_map"] = "evil.Model"
    outcome = _import(store, make_run, unknown)
    assert outcome.status == "invalid" and "auto_map" in outcome.message


@pytest.mark.parametrize("change, why", [
    ({"trust_remote_code": True}, "trust_remote_code"),
    ({"source": "/tmp/model-with-auto-map"}, "local model path"),
])
def test_an_import_is_never_rerun_with_its_own_code_or_path(tmp_path, make_run, change, why):
    store = Store(tmp_path)
    data = SPEC.to_dict()
    data["extraction"]["model"].update(change)
    if "source" in change:
        (tmp_path / "model-with-auto-map").mkdir(exist_ok=True)
        data["extraction"]["model"]["source"] = str(tmp_path / "model-with-auto-map")
    outcome = _import(store, make_run, data)
    assert outcome.ok  # kept to be read and drawn...
    run = RunResult.from_dict(store.get_result("import", outcome.key))
    with pytest.raises(BadInputError, match=why):  # ...never to be run
        rerun_spec(run, store=store)
    assert imported_rerun_problem(RunSpec.from_dict(data)) is not None


def test_a_harmless_import_reruns_as_its_settings_say_and_says_what_would_load(tmp_path, make_run):
    store = Store(tmp_path)
    outcome = _import(store, make_run, SPEC.to_dict())
    run = RunResult.from_dict(store.get_result("import", outcome.key))
    assert run_spec_of(run) == SPEC and imported_rerun_problem(SPEC) is None
    assert "model embedded at 32 bits" in rerun_description(SPEC) and "cities" in rerun_description(SPEC)


def test_an_imports_own_timestamp_never_orders_it(tmp_path, make_run):
    store = Store(tmp_path)
    outcome = _import(store, make_run, SPEC.to_dict(), created_ts=4e9)
    run = RunResult.from_dict(store.get_result("import", outcome.key))
    assert run.created_ts < 4e9 and run.extra["imported"]["created_ts"] == 4e9
