"""Compare: the overlay list takes runs that appear meanwhile (issue 22 item 22), and an imported run is rerun
only after the page said what would load, a refused import in one line (issue 22 item 7)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest


def test_the_overlay_list_takes_the_grids_new_runs_without_a_reload(make_run, open_page, set_env, tmp_path):
    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.storage.store import Store

    store = Store(tmp_path / "cache")
    old = make_run(key="old")
    store.put_result(RUN_KIND, old.key, replace(old, extra={"created_ts": 1.0e9}).to_dict())
    set_env(tmp_path / "cache")
    at = open_page("app_pages/compare.py")
    assert at.multiselect(key="cmp_runs").value == ["old"]
    new = make_run(key="new-from-grid", dataset="STSA", category="emotional")  # as a grid run would land
    store.put_result(RUN_KIND, new.key, replace(new, extra={"created_ts": 2.0e9}).to_dict())
    at.run()
    assert not at.exception
    assert at.multiselect(key="cmp_runs").value == ["new-from-grid", "old"]
    # a run the user took out stays out
    at.multiselect(key="cmp_runs").set_value(["new-from-grid"]).run()
    assert at.multiselect(key="cmp_runs").value == ["new-from-grid"]


@pytest.fixture(scope="module")
def imported_pair(tmp_path_factory):
    """A cache with a tiny-llama coin-flip run at 32 bits computed here, and a file of the 16-bit run (its probe
    recorded as not converging on layers 1 and 2), for importing."""
    from concept_depth.analyses.probe import run_probe
    from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, RunSpec
    from concept_depth.storage.store import Store

    runs = {}
    for q, where in ((32, "cache"), (16, "elsewhere")):
        spec = RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama", quant=q),
                                                 dataset=DatasetSpec(name="builtin-coinflip", limit=20)))
        runs[q] = run_probe(spec, store=Store(tmp_path_factory.mktemp(where)), n_jobs=1)
    q16 = replace(runs[16], extra=dict(runs[16].extra, layer_warnings={"ConvergenceWarning": {"1": 1, "2": 1}}))
    return runs[32], json.loads(q16.to_json())


def _cache_with_import(tmp_path, base, data):
    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.results.imports import import_results
    from concept_depth.storage.store import Store

    store = Store(tmp_path / "cache")
    store.put_result(RUN_KIND, base.key, base.to_dict())
    report = import_results(store, [("from-elsewhere.json", json.dumps(data).encode())])
    assert report.outcomes[0].ok, report.outcomes[0].message
    return tmp_path / "cache"


def test_rerunning_an_import_asks_first_and_shows_what_would_load(open_page, set_env, tmp_path, imported_pair):
    base, data = imported_pair
    set_env(_cache_with_import(tmp_path, base, data))
    at = open_page("app_pages/compare.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    button = at.button(key="cmp-cv-0")
    assert button.label.endswith("under cv…")
    button.click().run()
    assert not at.exception
    # nothing ran yet: the page says what would load and waits for a second click
    assert not any("The same comparison under cv" in m.value for m in at.markdown)
    ask, = [i.value for i in at.info if "reruns an imported result" in i.value]
    assert "model tiny:llama at 16 bits" in ask.replace("\\", "") and "protocol cv" in ask.replace("\\", "")
    at.button(key="cmp-cv-go-0").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The same comparison under cv" in m.value for m in at.markdown)


def test_an_import_asking_for_its_own_code_is_refused_in_one_line(open_page, set_env, tmp_path, imported_pair):
    from concept_depth.results.imports import import_results
    from concept_depth.storage.store import Store

    base, data = imported_pair
    files = []
    for name, run_data in (("base.json", json.loads(base.to_json())), ("q16.json", json.loads(json.dumps(data)))):
        run_data["run_spec"]["extraction"]["model"]["trust_remote_code"] = True  # both files: they pair
        files.append((name, json.dumps(run_data).encode()))
    report = import_results(Store(tmp_path / "cache"), files)
    assert all(o.ok for o in report.outcomes), [o.message for o in report.outcomes]
    set_env(tmp_path / "cache")
    at = open_page("app_pages/compare.py")
    at.button(key="cmp-cv-0").click().run()
    assert not at.exception
    refusal, = [e.value for e in at.error]
    assert refusal.startswith("Not rerun:") and "trust" in refusal and "\n" not in refusal
    assert not [b for b in at.button if b.key == "cmp-cv-go-0"]  # no way to go ahead
    assert not any("The same comparison under cv" in m.value for m in at.markdown)

