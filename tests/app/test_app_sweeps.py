"""The Runs page lists sweeps with their progress while a sweep beside the app lands its runs."""

from __future__ import annotations

from concept_depth.storage.store import Store
from concept_depth.storage.sweep_records import SweepRecord
from concept_depth.workflows.sweeps import SweepOutcome, plan_sweep


def test_runs_page_shows_a_running_sweep_and_its_landed_runs(make_run, open_page, set_env, tmp_path):
    cache = tmp_path / "cache"
    set_env(cache)
    store = Store(cache)
    items = plan_sweep(model="tiny:llama,tiny:gpt2", dataset="builtin-coinflip,builtin-capitals", limit=20)
    record = SweepRecord(store, items, "ray local")  # this process stands for the sweep's driver

    at = open_page("app_pages/runs.py")
    assert not at.exception
    sweeps = at.dataframe[0].value
    assert list(sweeps["state"]) == ["running"] and sweeps["runs"][0] == "0/4" and sweeps["progress"][0] == 0
    assert sweeps["where"][0] == "ray local" and "tiny:llama,tiny:gpt2" in sweeps["sweep"][0]
    assert any("No cached runs" in i.value for i in at.info)  # nothing landed yet
    assert any("refreshes every" in c.value for c in at.caption)

    run = make_run(key="landed-from-a-worker")
    store.put_result("run", run.key, run.to_dict())
    record.note(SweepOutcome(items[0], run))
    record.note(SweepOutcome(items[1], exit_code=3, error="the task of tiny:gpt2 32-bit failed: WorkerCrashedError"))
    at = open_page("app_pages/runs.py")
    sweeps, runs = at.dataframe[0].value, at.dataframe[1].value
    assert sweeps["runs"][0] == "1/4" and sweeps["failed"][0] == 1 and sweeps["progress"][0] == 0.5
    assert len(runs) == 1  # the landed run is in the runs table
    assert any("WorkerCrashedError" in m.value for m in at.markdown)  # the failure, in its expander

    record.finish()
    at = open_page("app_pages/runs.py")
    assert list(at.dataframe[0].value["state"]) == ["finished"]
    assert not any("refreshes every" in c.value for c in at.caption)
