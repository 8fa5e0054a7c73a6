"""The pieces of a Ray sweep that need no Ray: grouping, resources, a task's run loop, landing, sweep records."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from concept_depth.cli.main import main
from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.core.specs import ModelSpec
from concept_depth.storage.store import Store
from concept_depth.storage.sweep_records import SWEEP_KIND, SweepRecord, list_sweeps, sweep_state
from concept_depth.workflows.cluster.groups import TaskResources, group_items, infeasible, task_resources
from concept_depth.workflows.cluster.landing import cached_run, land, planned_key
from concept_depth.workflows.cluster.runtime import address_of
from concept_depth.workflows.cluster.worker import GroupTask, run_group
from concept_depth.workflows.sweeps import plan_sweep, run_sweep

GiB = 1 << 30


def _items(models="tiny:llama,tiny:gpt2", datasets="builtin-coinflip,builtin-capitals"):
    return plan_sweep(model=models, dataset=datasets, limit=20, no_control=True)


def test_runs_are_grouped_by_model_and_bit_width_in_order():
    items = plan_sweep(model="tiny:llama,tiny:gpt2", quant="32,16", dataset="builtin-coinflip,builtin-capitals",
                       noise="none,paper", limit=20)
    groups = group_items(list(enumerate(items, 1)))
    assert [g.label for g in groups] == ["tiny:llama 32-bit", "tiny:llama 16-bit", "tiny:gpt2 32-bit",
                                         "tiny:gpt2 16-bit"]
    assert all(len(g.items) == 4 for g in groups)  # 2 datasets x 2 noise settings each
    assert [i for g in groups for i, _ in g.items] == list(range(1, 17))
    assert all(item.spec.extraction.model == g.model for g in groups for _, item in g.items)


def test_a_task_asks_for_the_memory_the_catalog_estimates():
    gpu32 = task_resources(ModelSpec("Qwen/Qwen1.5-14B", 32), gpus=1)
    gpu4 = task_resources(ModelSpec("Qwen/Qwen1.5-14B", 4), gpus=1)
    assert gpu32.memory > 14e9 * 4 and gpu4.memory < gpu32.memory / 4
    assert gpu32.options() == {"num_cpus": 1.0, "num_gpus": 1.0, "memory": gpu32.memory}
    tiny = task_resources(ModelSpec("tiny:llama"), gpus=0, cpus=2)
    assert 0 < tiny.memory < gpu4.memory and tiny.options()["num_cpus"] == 2.0
    assert TaskResources(1, 0, None).options() == {"num_cpus": 1, "num_gpus": 0}  # unknown size: no request


def test_a_task_no_node_can_hold_is_refused_with_what_it_needs():
    nodes = [{"CPU": 8, "GPU": 1, "memory": 40 * GiB}, {"CPU": 2, "memory": 100 * GiB}]
    assert infeasible(TaskResources(1, 1, 30 * GiB), nodes) is None
    assert infeasible(TaskResources(1, 0, 90 * GiB), nodes) is None  # the CPU node has room
    why = infeasible(TaskResources(1, 1, 60 * GiB), nodes)
    assert "60.0 GiB" in why and "1 GPU(s)" in why and "--quant" in why
    assert "2 GPU(s)" in infeasible(TaskResources(1, 2, None), nodes)


def test_ray_addresses():
    assert address_of(None) is None and address_of(True) is None and address_of("local") is None
    assert address_of("auto") == "auto" and address_of("ray://head:10001") == "ray://head:10001"
    assert address_of("10.0.0.5:6379") == "10.0.0.5:6379"
    with pytest.raises(BadInputError):
        address_of("my cluster")


def test_a_task_reports_every_run_and_its_results_land_in_another_store_with_their_vectors(tmp_path):
    items = _items(models="tiny:llama")
    driver, worker_dir = Store(tmp_path / "driver"), tmp_path / "worker"
    calls = []

    def flaky_loader(spec):  # the first load fails: that run is reported, the next one runs
        from concept_depth.models import load_model

        calls.append(spec)
        if len(calls) == 1:
            raise RuntimeError("no GPU left\nsecond line")
        return load_model(spec, device="cpu")

    record = SweepRecord(driver, items, "ray local")
    task = GroupTask(record.id, tuple(enumerate(items, 1)), cache_dir=str(worker_dir), device="cpu",
                     with_vectors=True, model_loader=flaky_loader, n_jobs=1)
    messages = list(run_group(task))
    assert [m.index for m in messages] == [1, 2]
    assert messages[0].result is None and messages[0].error == "RuntimeError: no GPU left"
    ok = messages[1]
    assert ok.computed and ok.vectors is not None  # the worker cannot see the driver's store
    key = planned_key(items[1], driver)
    assert ok.result["key"] == key and cached_run(driver, key) is None
    landed = land(driver, ok, key)
    assert landed.key == key and not landed.timing["cached"]
    worker = Store(worker_dir)
    assert driver.get_result("run", key) == worker.get_result("run", key)  # the stored JSON, as it is
    act = landed.extra["activation_key"]
    assert np.array_equal(driver.read_all(act), worker.read_all(act)) and driver.verify(act)
    assert cached_run(driver, key).timing["cached"] is True


def test_a_task_on_the_drivers_own_store_sends_no_vectors_and_a_foreign_key_is_not_stored(tmp_path):
    items = _items(models="tiny:gpt2", datasets="builtin-coinflip")
    store = Store(tmp_path / "cache")
    record = SweepRecord(store, items, "ray local")
    (message,) = run_group(GroupTask(record.id, ((1, items[0]),), cache_dir=str(store.directory), device="cpu",
                                     with_vectors=True, n_jobs=1))
    assert message.vectors is None and store.get_result("run", message.result["key"]) is not None
    other = Store(tmp_path / "other")
    with pytest.raises(UnavailableError, match="differ"):
        land(other, message, "0" * 64)
    assert other.list_results("run") == []


def test_a_serial_sweep_keeps_its_progress_record_for_the_app(tmp_path):
    store = Store(tmp_path / "cache")
    items = _items(models="tiny:llama", datasets="builtin-coinflip")
    run_sweep(items, store=store, device="cpu", n_jobs=1)
    (record,) = list_sweeps(store)
    assert record["total"] == 1 and record["done"] == 1 and record["failed"] == 0
    assert record["state"] == "finished" and record["where"] == "serial"
    assert record["spec"] == {"model": "tiny:llama", "quant": "32", "dataset": "builtin-coinflip", "noise": "none"}
    json.dumps(record)  # plain JSON
    dead = dict(record, state="running", pid=2 ** 22 + 12345)  # beyond any pid: its driver is gone
    assert sweep_state(dead) == "stopped" and sweep_state(dict(dead, pid=os.getpid())) == "running"
    assert store.get_result(SWEEP_KIND, record["id"])["state"] == "finished"


def test_ray_options_without_ray_or_without_sweep_ray_are_one_line(tmp_path, monkeypatch, capsys):
    base = ["sweep", "--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "20", "--quiet",
            "--cache-dir", str(tmp_path / "c"), "--out-dir", str(tmp_path / "o")]
    assert main([*base, "--gpus-per-task", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --gpus-per-task only apply with --ray") and len(err.strip().splitlines()) == 1
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main([*base, "--ray"]) == 3
    err = capsys.readouterr().err
    assert "requirements-cluster.txt" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()  # nothing was computed


def test_the_package_shipped_to_workers_is_the_whole_engine():
    """Ray's py_modules and the workers' PYTHONPATH get concept_depth/ itself (it moved into workflows/cluster)."""
    from concept_depth.workflows.cluster import runtime

    assert runtime.PACKAGE_DIR.name == "concept_depth" and (runtime.PACKAGE_DIR / "__init__.py").is_file()
    assert (runtime.PACKAGE_DIR / "analyses" / "protocol.py").is_file()
