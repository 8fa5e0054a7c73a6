"""Sweeps on a Ray cluster (optional: ``pip install -r requirements-cluster.txt``).

``run_sweep_on_ray(items, store=..., ray=None | "auto" | "ray://host:port")`` runs the items of
``concept_depth.sweeps.plan_sweep`` as one Ray task per (model, bit width) and writes every
finished run into the user's store as it arrives. Ray is imported only when a sweep runs.

- :mod:`.runtime`: importing Ray, a local runtime on 127.0.0.1, joining a cluster
- :mod:`.groups`: grouping by (model, bit width), each task's resources (pure)
- :mod:`.worker`: what a task runs (plain Python, one message per run)
- :mod:`.landing`: the driver's store: cached runs, writing arriving runs
- :mod:`.driver`: submitting, collecting, retries and failures
"""

from .driver import SAME_AS_DRIVER, run_sweep_on_ray, worker_cache_for

__all__ = ["SAME_AS_DRIVER", "run_sweep_on_ray", "worker_cache_for"]
