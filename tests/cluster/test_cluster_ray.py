"""Sweeps on a local Ray runtime (2 CPUs, 127.0.0.1) with the tiny models: same numbers as a serial
sweep, a killed worker is retried, a task that keeps dying fails alone, an interrupted sweep resumes."""

from __future__ import annotations

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from concept_depth.storage.store import Store  # noqa: E402
from concept_depth.storage.sweep_records import list_sweeps  # noqa: E402
from concept_depth.workflows.cluster import run_sweep_on_ray  # noqa: E402
from concept_depth.workflows.cluster.runtime import LOOPBACK, node_resources, start_local  # noqa: E402
from concept_depth.workflows.sweeps import plan_sweep, run_sweep  # noqa: E402

MODELS, DATASETS = "tiny:llama,tiny:gpt2", "builtin-coinflip,builtin-capitals"


@pytest.fixture(scope="module")
def local_ray():
    """One local runtime for the module (its workers import torch once, then are reused)."""
    if ray.is_initialized():
        ray.shutdown()
    start_local(num_cpus=2)
    yield ray
    ray.shutdown()


def _items(**options):
    return plan_sweep(model=MODELS, dataset=DATASETS, limit=20, **options)


def _serial(items, store):
    """The reference: a serial sweep as the CLI runs it without --ray."""
    return run_sweep(items, store=store, device="cpu")


def test_the_local_runtime_is_on_loopback_only(local_ray):
    assert ray.util.get_node_ip_address() == LOOPBACK
    assert {n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]} == {LOOPBACK}
    assert ray.cluster_resources()["CPU"] == 2
    (node,) = node_resources(ray)  # what a task's memory request (bytes) is checked against
    assert 1 << 30 < node["memory"] < 1 << 40 and node.get("GPU", 0) == 0


def test_a_ray_sweep_gives_the_serial_sweeps_runs_and_vectors(local_ray, tmp_path):
    items = _items(noise="none,paper")
    serial_store, driver = Store(tmp_path / "serial"), Store(tmp_path / "driver")
    serial = _serial(items, serial_store)
    landed = []
    # The workers keep their own cache: results and layer vectors come back through Ray.
    outcomes = run_sweep_on_ray(items, store=driver, worker_cache_dir=tmp_path / "workers", with_vectors=True,
                                on_outcome=lambda i, o: landed.append(i))
    assert sorted(landed) == list(range(1, len(items) + 1))
    assert [o.item for o in outcomes] == list(items) and all(o.ok for o in outcomes)
    for s, r in zip(serial, outcomes):
        assert r.result.key == s.result.key and not r.result.timing["cached"]
        assert r.result.layers == s.result.layers and r.result.depth == s.result.depth  # every per-layer number
        stored = driver.get_result("run", s.result.key)
        assert stored["layers"] == serial_store.get_result("run", s.result.key)["layers"]
        act = s.result.extra["activation_key"]
        assert np.array_equal(driver.read_all(act), serial_store.read_all(act)) and driver.verify(act)
    (record,) = list_sweeps(driver)
    assert record["done"] == len(items) and record["state"] == "finished" and record["where"] == "ray local"
    again = run_sweep_on_ray(items, store=driver)  # all cached: no task is started
    assert all(o.result.timing["cached"] for o in again)


def test_a_killed_worker_is_retried_and_a_task_that_keeps_dying_fails_alone(local_ray, tmp_path):
    marker = tmp_path / "killed-once"
    calls = []  # a fresh list in each attempt: the task's arguments are unpickled anew

    def loader(spec):
        import os
        from pathlib import Path

        from concept_depth.models import load_model

        if spec.source == "tiny:gpt2":
            os._exit(3)  # every attempt dies
        calls.append(spec)
        if len(calls) == 2 and not Path(marker).exists():  # mid-task: after the first run landed
            Path(marker).write_text(str(os.getpid()))
            os._exit(3)
        return load_model(spec, device="cpu")

    items = _items()
    store = Store(tmp_path / "cache")
    outcomes = run_sweep_on_ray(items, store=store, model_loader=loader, max_retries=1)
    assert marker.exists()  # the llama task's worker really died once
    llama = [o for o in outcomes if o.item.names[0] == "tiny:llama"]
    gpt2 = [o for o in outcomes if o.item.names[0] == "tiny:gpt2"]
    assert len(llama) == 2 and all(o.ok for o in llama)
    assert all(store.get_result("run", o.result.key) for o in llama)
    assert len(gpt2) == 2 and not any(o.ok for o in gpt2)
    assert all("tiny:gpt2 32-bit failed (retried 1 times)" in o.error and "\n" not in o.error for o in gpt2)
    (record,) = list_sweeps(store)
    assert record["done"] == 2 and record["failed"] == 2 and len(record["failures"]) == 2


def test_an_interrupted_sweep_computes_only_the_missing_runs_when_started_again(local_ray, tmp_path):
    items = _items()
    store = Store(tmp_path / "cache")
    calls = []

    def first_run_only(spec):  # every run but the first blocks until the driver is gone
        import time

        from concept_depth.models import load_model

        calls.append(spec)
        if spec.source == "tiny:llama" and len(calls) == 1:
            return load_model(spec, device="cpu")
        time.sleep(300)
        raise RuntimeError("not interrupted")

    def driver_dies(i, outcome):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep_on_ray(items, store=store, model_loader=first_run_only, on_outcome=driver_dies)
    assert list_sweeps(store)[0]["state"] == "interrupted"
    before = {r["key"] for r in store.list_results("run")}
    assert len(before) == 1
    outcomes = run_sweep_on_ray(items, store=store)
    assert all(o.ok for o in outcomes)
    computed = {o.result.key for o in outcomes if not o.result.timing["cached"]}
    cached = {o.result.key for o in outcomes if o.result.timing["cached"]}
    assert cached == before and computed == {o.result.key for o in outcomes} - before and len(computed) == 3


def test_sweep_ray_on_the_command_line_and_in_the_api(local_ray, tmp_path, capsys):
    import csv

    import concept_depth as cd
    from concept_depth.cli.main import main

    cache, out = tmp_path / "cache", tmp_path / "out"
    args = ["sweep", "--ray", "--cpus-per-task", "1", "--model", "tiny:llama,tiny:gpt2", "--dataset", "builtin-coinflip", "--limit", "20",
            "--noise", "none,paper", "--quiet", "--cache-dir", str(cache), "--out-dir", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert all(f"[{i}/4] " in printed for i in range(1, 5)) and "4 of 4 runs" in printed
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [r["model"] for r in rows][0] == "tiny:llama" and [r["model"] for r in rows][-1] == "tiny:gpt2"  # in order
    assert len(list(out.glob("*.json"))) == 4
    outcomes = cd.sweep(model="tiny:llama,tiny:gpt2", dataset="builtin-coinflip", limit=20, noise="none,paper",
                        cache_dir=cache, ray=True, progress=False)
    assert len(outcomes) == 4 and all(o.ok and o.result.timing["cached"] for o in outcomes)
