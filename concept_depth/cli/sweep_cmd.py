"""``python -m concept_depth sweep``: the cross product of models, bit widths, datasets and noise.

Each combination is one ``run`` (cached runs come back at once). Writes one JSON per
run into ``--out-dir`` plus ``sweep.csv``, a tidy table with one row per run per layer.
A failing combination is reported at the end and does not stop the others.
"""

from __future__ import annotations

import argparse
import re
import sys

from ..core.errors import BadInputError
from ..core.files import write_atomic
from ..export.csv_text import rows_csv
from ..storage.store import Store
from ..workflows.cluster import run_sweep_on_ray, worker_cache_for
from ..workflows.cluster.runtime import address_of, import_ray
from ..workflows.sweeps import plan_sweep, run_sweep
from .options import (
    SWEEP_GROUPS,
    SWEEP_LISTED,
    add_option_groups,
    check_output_path,
    check_range,
    check_run_options,
    sweep_options,
)
from .progress_bar import RunsBar, TqdmProgress

CSV_COLUMNS = [
    "run_key", "model", "model_label", "dataset", "category", "quant", "noise", "noise_strength", "noise_seed",
    "hook", "pooling", "limit", "protocol", "probe", "n_samples", "n_layers", "layer", "relative_layer",
    "accuracy", "accuracy_std", "f1", "f1_std", "auc", "auc_std", "control_accuracy", "selectivity",
    "chance", "acquired", "peak_layer", "peak_accuracy", "jumping_point", "converging_point",
]


def tidy_rows(result) -> list[dict]:
    """One dict per layer of ``result`` with the run's identifying fields (CSV_COLUMNS)."""
    s, d = result.spec, result.depth
    base = {k: s.get(k) for k in ("model", "model_label", "dataset", "category", "quant", "noise", "noise_strength",
                                  "noise_seed", "hook", "pooling", "limit", "protocol", "probe")}
    base.update(run_key=result.key, n_samples=result.n_samples, n_layers=result.n_layers, chance=d.chance,
                acquired=d.acquired, peak_layer=d.peak_layer, peak_accuracy=d.peak_accuracy,
                jumping_point=d.jumping_point, converging_point=d.converging_point)
    rows = []
    for ls in result.layers:
        rows.append(dict(base, layer=ls.layer, relative_layer=ls.layer / result.n_layers if result.n_layers else None,
                         accuracy=ls.accuracy, accuracy_std=ls.accuracy_std, f1=ls.f1, f1_std=ls.f1_std, auc=ls.auc,
                         auc_std=ls.auc_std, control_accuracy=ls.control_accuracy, selectivity=ls.selectivity))
    return rows


def _slug(*parts) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(str(p) for p in parts)).strip("-")


def _check_cluster_options(args: argparse.Namespace) -> None:
    """--ray's companions, checked before anything starts (Ray itself is imported only with --ray)."""

    if args.ray is None:
        given = [o for o, v in (("--gpus-per-task", args.gpus_per_task), ("--with-vectors", args.with_vectors or None),
                                ("--cpus-per-task", args.cpus_per_task))
                 if v is not None]
        if given:
            raise BadInputError(f"{' and '.join(given)} only apply with --ray")
        return
    check_range(args.gpus_per_task, "--gpus-per-task", 0, 64)
    check_range(args.cpus_per_task, "--cpus-per-task", 0.01, 1024)
    check_range(args.max_retries, "--max-retries", 0, 100)

    address_of(args.ray)
    import_ray()  # one line saying what to install, before any work


def _run_on_ray(args: argparse.Namespace, items, store, report) -> list:

    bar = RunsBar(disable=args.quiet or None)
    try:
        return run_sweep_on_ray(items, store=store, ray=args.ray, gpus_per_task=args.gpus_per_task,
                                cpus_per_task=args.cpus_per_task, max_retries=args.max_retries,
                                with_vectors=args.with_vectors, device=args.device, batch_size=args.batch_size,
                                n_jobs=args.jobs,
                                worker_cache_dir=worker_cache_for(args.ray, args.cache_dir is not None),
                                progress=bar, on_outcome=lambda i, o: report(i, o, bar.write))
    finally:
        bar.close()


def _sweep(args: argparse.Namespace) -> int:

    items = plan_sweep(**sweep_options(args))  # every spec first: a typo fails before hours of work
    check_run_options(args)
    _check_cluster_options(args)
    out_dir = check_output_path(args.out_dir, "--out-dir", folder=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(args.cache_dir)
    rows_of: dict[int, list[dict]] = {}  # by item: the CSV keeps the sweep's order whatever lands first
    total = len(items)

    def report(i: int, outcome, write=None) -> None:
        label = outcome.item.label
        if not outcome.ok:
            (write or _print)(f"[{i}/{total}] {label}: FAILED ({outcome.error})", err=True)
            return
        result = outcome.result
        path = out_dir / f"{_slug(*outcome.item.names)}_{result.key[:8]}.json"
        path.write_text(result.to_json(), encoding="utf-8")
        rows_of[i] = tidy_rows(result)
        d = result.depth
        state = "cached" if result.timing.get("cached") else f"probe {result.timing.get('probe_s', 0):.1f}s"
        depth_txt = (f"peak {d.peak_layer} ({d.peak_accuracy:.3f}), jump {d.jumping_point}, converge {d.converging_point}"
                     if d.acquired else f"not acquired (peak acc {d.peak_accuracy:.3f})")
        (write or _print)(f"[{i}/{total}] {label}: {depth_txt}; {state} -> {path}")

    if args.ray is not None:
        outcomes = _run_on_ray(args, items, store, report)
    else:
        outcomes = run_sweep(items, store=store, device=args.device, batch_size=args.batch_size, n_jobs=args.jobs,
                             progress_for=lambda i, _item: TqdmProgress(prefix=f"[{i}/{total}] ",
                                                                        disable=args.quiet or None),
                             on_outcome=report)
    rows = [row for i in sorted(rows_of) for row in rows_of[i]]
    csv_path = out_dir / "sweep.csv"
    write_atomic(csv_path, rows_csv(rows, CSV_COLUMNS))
    failures = [o for o in outcomes if not o.ok]
    print(f"wrote {csv_path} ({len(rows)} rows, {total - len(failures)} of {total} runs)")
    return report_failures(failures, total)


def _print(line: str, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout)


def report_failures(failures, total: int) -> int:
    """One stderr line per failed run and a count; the exit code (2 or 3 for the first failure's
    user error, 1 otherwise, 0 when nothing failed)."""
    if not failures:
        return 0
    for o in failures:
        print(f"failed: {o.item.label}: {o.error}", file=sys.stderr)
    sys.stderr.write(f"error: {len(failures)} of {total} runs failed (listed above)\n")
    code = failures[0].exit_code
    return code if code in (2, 3) else 1


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run the cross product of models, bit widths, datasets and noise",
                              description="Comma-separated --model, --quant, --dataset and --noise; cached runs are "
                                          "skipped; one JSON per run plus a tidy CSV (one row per run per layer).")
    add_option_groups(p, SWEEP_GROUPS, listed=SWEEP_LISTED)
    p.add_argument("--out-dir", default="sweep_results", help="directory for the JSON files and sweep.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    g = p.add_argument_group("on a Ray cluster (pip install -r requirements-cluster.txt)")
    g.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run on Ray, one task per (model, bit width): no ADDRESS starts a local runtime on "
                        "127.0.0.1; 'auto' or ray://host:port joins a cluster. Results land in the cache as they "
                        "finish; a rerun computes only what is missing")
    g.add_argument("--gpus-per-task", type=float, default=None,
                   help="GPUs per task, fractions allowed (default 1 when the cluster has GPUs, else 0)")
    g.add_argument("--cpus-per-task", type=float, default=None,
                   help="CPUs per task, also the torch threads it uses. Default: as a serial run (the same "
                        "numbers), a CPU-only task holding a whole node and a GPU task one CPU")
    g.add_argument("--max-retries", type=int, default=2, help="retries of a task whose worker died (default 2)")
    g.add_argument("--with-vectors", action="store_true",
                   help="also bring each run's layer vectors back into the cache (for the Layers page) when the "
                        "workers do not share it")
    p.set_defaults(func=_sweep)
