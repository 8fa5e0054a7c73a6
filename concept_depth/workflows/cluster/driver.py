"""``run_sweep_on_ray``: a sweep's runs as Ray tasks, one per (model, bit width), landing in the user's store.

1. Every run's key is computed here first; runs already in the store come back at once (a
   sweep whose driver died resumes: only the missing runs are computed).
2. The rest is grouped by (model, bit width); each group is one Ray task (a streaming generator,
   see :mod:`.worker`) asking for ``gpus_per_task`` GPUs and the memory the catalog estimates.
3. Each run's message is written into the store as it arrives (see :mod:`.landing`) and reported
   to ``on_outcome``; a worker killed mid-task is retried ``max_retries`` times by Ray; a task
   that keeps failing fails the runs it had not finished, with its error line, and the other
   tasks go on.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from ...core.errors import Cancelled, UnavailableError
from ...core.progress import ProgressCallback, ProgressTracker
from ...storage.sweep_records import SweepRecord
from ..sweeps import SweepItem, SweepOutcome
from .groups import group_items, infeasible, task_resources
from .landing import cached_run, land, planned_key
from .runtime import address_of, describe, node_resources, ray_runtime
from .worker import GroupTask, run_group

#: ``worker_cache_dir`` default: the driver's own store folder (a local runtime, or shared storage).
SAME_AS_DRIVER = "driver"


def worker_cache_for(ray: Any, cache_dir_given: bool) -> str | None:
    """The ``worker_cache_dir`` a command means: the driver's store on a local runtime or when the user
    named the cache folder (``--cache-dir`` on shared storage), else each worker's own."""
    return SAME_AS_DRIVER if address_of(ray) is None or cache_dir_given else None


def _error_line(exc: BaseException) -> str:
    """One line for a Ray error: the user's exception inside a task error, else Ray's first line."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and cause is not exc:
        exc = cause
    lines = [l.strip() for l in str(exc).strip().splitlines() if l.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")[:300]


def run_sweep_on_ray(items: Sequence[SweepItem], *, store, ray: Any = None, gpus_per_task: float | None = None,
                     cpus_per_task: float | None = None, max_retries: int = 2, with_vectors: bool = False,
                     device: str | None = None, batch_size: int = 16, n_jobs: int | None = None,
                     model_loader: Callable | None = None,
                     worker_cache_dir: str | os.PathLike | None = SAME_AS_DRIVER, num_cpus: int | None = None,
                     progress: ProgressCallback | None = None,
                     on_outcome: Callable[[int, SweepOutcome], None] | None = None) -> list[SweepOutcome]:
    """Run ``items`` on Ray; failures are kept, not raised. Outcomes come back in item order.

    Parameters
    ----------
    ray : None/True/``"local"`` starts a local runtime on 127.0.0.1; ``"auto"``, ``host:port`` or
        ``ray://host:port`` joins a cluster; an already initialised Ray is used as it is.
    gpus_per_task : GPUs per task (fractions allowed); default 1 when the cluster has GPUs, else 0.
    cpus_per_task : CPUs per task, also torch's CPU threads in it. Default: tasks compute exactly as a
        serial run on their node (torch's default threads, the probes' default jobs), so their numbers
        are the serial run's; a CPU-only task then holds a whole node (the smallest one's CPUs), a GPU
        task one CPU. Fewer CPUs run more CPU tasks at once, with layer vectors equal to a serial
        run's only to float rounding (a probe at its iteration limit may then differ).
    max_retries : Ray's retries of a task whose worker died.
    with_vectors : also bring each run's layer vectors back into ``store`` (workers that cannot write into it).
    model_loader : ``ModelSpec -> LoadedModel`` used on the workers (pickled); default: each group's model once.
    worker_cache_dir : the workers' store folder; :data:`SAME_AS_DRIVER` (default) is ``store``'s
        folder (right for a local runtime and for a cache on shared storage), None the workers'
        own (``$CONCEPT_DEPTH_CACHE`` or ``~/.cache/concept-depth`` on each node).
    num_cpus : CPUs of a local runtime (default: all).
    progress : receives ``stage="sweep"`` events over runs (with rate and ETA of the computed ones).
    on_outcome : ``(i, outcome)`` for each finished or failed run, as it lands (``i`` 1-based).
    """
    record = SweepRecord(store, items, describe(ray))
    total = len(items)
    outcomes: dict[int, SweepOutcome] = {}
    tracker = None

    def report(i: int, outcome: SweepOutcome) -> None:
        outcomes[i] = outcome
        record.note(outcome)
        if on_outcome:
            on_outcome(i, outcome)
        if tracker:
            tracker.update(len(outcomes))

    try:
        keys, todo = _cached_first(items, store, report)
        tracker = ProgressTracker(progress, "sweep", total, unit="runs", start_done=len(outcomes))
        tracker.update(len(outcomes))
        if todo:
            with ray_runtime(ray, num_cpus=num_cpus) as ray_mod:
                cache = (str(store.directory) if worker_cache_dir == SAME_AS_DRIVER else
                         str(worker_cache_dir) if worker_cache_dir else None)
                _run_groups(ray_mod, todo, keys, store, report, cache=cache, gpus_per_task=gpus_per_task,
                            cpus_per_task=cpus_per_task, max_retries=max_retries, with_vectors=with_vectors,
                            device=device, batch_size=batch_size, n_jobs=n_jobs, model_loader=model_loader,
                            sweep_id=record.id)
    except BaseException:
        record.finish("interrupted")
        raise
    record.finish()
    return [outcomes[i] for i in sorted(outcomes)]


def _cached_first(items: Sequence[SweepItem], store, report) -> tuple[dict[int, str | None], list]:
    """Each item's planned key; the cached ones reported at once, the others returned to run ({i: key}, [(i, item)])."""
    keys, todo = {}, []
    for i, item in enumerate(items, 1):
        keys[i] = planned_key(item, store)
        result = cached_run(store, keys[i])
        if result is not None:
            report(i, SweepOutcome(item, result))
        else:
            todo.append((i, item))
    return keys, todo


def _run_groups(ray, todo, keys, store, report, *, cache, gpus_per_task, cpus_per_task, max_retries, with_vectors,
                device, batch_size, n_jobs, model_loader, sweep_id) -> None:
    nodes = node_resources(ray)
    if gpus_per_task is None:
        gpus_per_task = 1 if sum(n.get("GPU", 0) for n in nodes) > 0 else 0
    node_cpus = min((n["CPU"] for n in nodes if n.get("CPU", 0) > 0), default=1)  # a CPU task's whole node
    remote = ray.remote(run_group)
    pending: dict[Any, tuple[str, dict[int, SweepItem]]] = {}
    for group in group_items(todo):
        resources = task_resources(group.model, gpus=float(gpus_per_task),
                                   cpus=float(cpus_per_task or (1 if gpus_per_task > 0 else node_cpus)))
        left = dict(group.items)
        why = infeasible(resources, nodes)
        if why:
            for i, item in left.items():
                report(i, SweepOutcome(item, exit_code=UnavailableError.exit_code, error=f"{group.label}: {why}"))
            continue
        task = GroupTask(sweep_id, group.items, cache_dir=cache,
                         device=device or ("cuda" if gpus_per_task > 0 else "cpu"), batch_size=batch_size,
                         n_jobs=n_jobs or (max(1, int(cpus_per_task)) if cpus_per_task else None),
                         with_vectors=with_vectors, model_loader=model_loader,
                         threads=max(1, int(cpus_per_task)) if cpus_per_task else None)
        gen = remote.options(**resources.options(), max_retries=max_retries, retry_exceptions=False,
                             name=f"concept-depth {group.label}").remote(task)
        pending[gen] = (group.label, left)
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            gen = ready[0]
            label, left = pending[gen]
            try:
                message = ray.get(next(gen))
            except StopIteration:
                del pending[gen]
                for i, item in left.items():  # not expected: a task reports every run it was given
                    report(i, SweepOutcome(item, exit_code=1, error=f"the task of {label} ended without this run"))
                continue
            except ray.exceptions.RayError as exc:
                del pending[gen]
                why = f"the task of {label} failed (retried {max_retries} times): {_error_line(exc)}"
                for i, item in left.items():
                    report(i, SweepOutcome(item, exit_code=1, error=why))
                continue
            item = left.pop(message.index, None)
            if item is None:
                continue  # already reported (a retried task sends again what it had sent)
            report(message.index, _outcome(store, item, message, keys.get(message.index)))
    except BaseException:
        for gen in pending:
            try:
                ray.cancel(gen, force=True)
            except Exception:  # noqa: BLE001 - best effort; the runtime may already be gone
                pass
        raise


def _outcome(store, item: SweepItem, message, key: str | None) -> SweepOutcome:
    if message.result is None:  # the run failed on the worker: its line, and where (host:pid)
        return SweepOutcome(item, exit_code=message.exit_code or 1, error=f"{message.error} [on {message.worker}]")
    try:
        return SweepOutcome(item, land(store, message, key))
    except (Cancelled, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - this run did not land; the others go on
        return SweepOutcome(item, exit_code=getattr(exc, "exit_code", 1), error=_error_line(exc))
