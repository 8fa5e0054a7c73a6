"""``python -m concept_depth sweep``: the cross product of models, bit widths, datasets and noise.

Each combination is one ``run`` (cached runs come back at once). Writes one JSON per
run into ``--out-dir`` plus ``sweep.csv``, a tidy table with one row per run per layer.
A failing combination is reported at the end and does not stop the others.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from .options import (add_dataset_options, add_extraction_options, add_model_options, check_output_path,
                      check_run_options, sweep_options)
from .progress_bar import TqdmProgress
from .run_cmd import add_probe_options

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


def _sweep(args: argparse.Namespace) -> int:
    from ..store import Store
    from ..sweeps import plan_sweep, run_sweep

    items = plan_sweep(**sweep_options(args))  # every spec first: a typo fails before hours of work
    check_run_options(args)
    out_dir = check_output_path(args.out_dir, "--out-dir", folder=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(args.cache_dir)
    rows = []
    total = len(items)

    def report(i: int, outcome) -> None:
        label = outcome.item.label
        if not outcome.ok:
            print(f"[{i}/{total}] {label}: FAILED ({outcome.error})", file=sys.stderr)
            return
        result = outcome.result
        path = out_dir / f"{_slug(*outcome.item.names)}_{result.key[:8]}.json"
        path.write_text(result.to_json(), encoding="utf-8")
        rows.extend(tidy_rows(result))
        d = result.depth
        state = "cached" if result.timing.get("cached") else f"probe {result.timing.get('probe_s', 0):.1f}s"
        depth_txt = (f"peak {d.peak_layer} ({d.peak_accuracy:.3f}), jump {d.jumping_point}, converge {d.converging_point}"
                     if d.acquired else f"not acquired (peak acc {d.peak_accuracy:.3f})")
        print(f"[{i}/{total}] {label}: {depth_txt}; {state} -> {path}")

    outcomes = run_sweep(items, store=store, device=args.device, batch_size=args.batch_size, n_jobs=args.jobs,
                         progress_for=lambda i, _item: TqdmProgress(prefix=f"[{i}/{total}] ",
                                                                    disable=args.quiet or None),
                         on_outcome=report)
    csv_path = out_dir / "sweep.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    failures = [o for o in outcomes if not o.ok]
    print(f"wrote {csv_path} ({len(rows)} rows, {total - len(failures)} of {total} runs)")
    if failures:
        for o in failures:
            print(f"failed: {o.item.label}: {o.error}", file=sys.stderr)
        code = failures[0].exit_code
        sys.stderr.write(f"error: {len(failures)} of {total} runs failed (listed above)\n")
        return code if code in (2, 3) else 1
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run the cross product of models, bit widths, datasets and noise",
                              description="Comma-separated --model, --quant, --dataset and --noise; cached runs are "
                                          "skipped; one JSON per run plus a tidy CSV (one row per run per layer).")
    add_model_options(p, multi=True)
    add_dataset_options(p, multi=True)
    add_extraction_options(p)
    add_probe_options(p)
    p.add_argument("--out-dir", default="sweep_results", help="directory for the JSON files and sweep.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_sweep)
