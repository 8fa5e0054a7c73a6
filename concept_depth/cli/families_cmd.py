"""``python -m concept_depth families``: models side by side, as in the paper's figures.

Runs the models x datasets grid (a sweep: cached runs come back at once), prints one row per
run (peak, jumping and converging point, each also as relative depth = layer / layers), and
draws the paper's layout (one panel per dataset, one curve per model, x = relative depth)
and the model x dataset heatmap::

    python -m concept_depth families --model embedded,smollm2 --dataset cities,coinflip --limit 200 \\
        --figure families.svg --heatmap jumping.svg
"""

from __future__ import annotations

import argparse
import sys

from ..export.families import write_outputs
from ..storage.store import Store
from ..workflows.families import compare_models
from ..workflows.sweeps import plan_sweep
from .options import (
    SWEEP_GROUPS,
    SWEEP_LISTED,
    add_option_groups,
    check_output_path,
    check_range,
    check_run_options,
    sweep_options,
)
from .progress_bar import TqdmProgress
from .sweep_cmd import report_failures

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
HEAT_VALUES = ("jumping_point", "converging_point", "peak_accuracy", "peak_layer")


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def format_depth_table(rows: list[dict]) -> str:
    """Plain-text table: model, dataset, layers, peak (layer), jumping, converging, their relative depths."""
    head = ("model", "dataset", "L", "peak acc", "peak", "jump", "conv", "rel peak", "rel jump", "rel conv")
    body = [(r["model"], r["dataset"], str(r["layers"]), _cell(r["peak_accuracy"]), _cell(r["peak_layer"]),
             _cell(r["jumping_point"]), _cell(r["converging_point"]), _cell(r["relative_peak"], 2),
             _cell(r["relative_jumping"], 2), _cell(r["relative_converging"], 2)) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in [head, *body]]
    return "\n".join(lines + ["('-': not acquired, the peak is not significantly above chance and the control)"])


def _families(args: argparse.Namespace) -> int:

    items = plan_sweep(**sweep_options(args))  # every spec first: a typo fails before any model loads
    check_run_options(args)
    for option, path, suffixes in (("--figure", args.figure, FIGURE_SUFFIXES),
                                   ("--heatmap", args.heatmap, FIGURE_SUFFIXES), ("--out", args.out, (".csv",))):
        if path:
            check_output_path(path, option, suffixes=suffixes)
    check_range(args.width, "--width", 0.5, 100)
    check_range(args.height, "--height", 0.5, 100)
    check_range(args.dpi, "--dpi", 10, 2400)
    total = len(items)

    def report(i: int, outcome) -> None:
        if not outcome.ok:
            print(f"[{i}/{total}] {outcome.item.label}: FAILED ({outcome.error})", file=sys.stderr)
            return
        r = outcome.result
        state = "cached" if r.timing.get("cached") else "computed"
        print(f"[{i}/{total}] {outcome.item.label}: {r.n_layers} layers, peak {r.depth.peak_accuracy:.3f}; {state}")

    comparison = compare_models(items, store=Store(args.cache_dir), device=args.device, batch_size=args.batch_size,
                                n_jobs=args.jobs, on_outcome=report,
                                progress_for=lambda i, _item: TqdmProgress(prefix=f"[{i}/{total}] ",
                                                                           disable=args.quiet or None))
    rows = comparison.table()
    if rows:
        print()
        print(format_depth_table(rows))
    for line in write_outputs(comparison, figure=args.figure, heatmap=args.heatmap, value=args.value,
                              metric=args.metric, x=args.x, width=args.width, height=args.height, dpi=args.dpi,
                              out=args.out):
        print(line)
    return report_failures(comparison.failures, total)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "families", help="models side by side: one panel per dataset, one curve per model, and the heatmap",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_option_groups(p, SWEEP_GROUPS, listed=SWEEP_LISTED)
    p.add_argument("--figure", default=None, help="the panels figure: .png, .svg or .pdf")
    p.add_argument("--heatmap", default=None, help="the model x dataset heatmap of --value: .png, .svg or .pdf")
    p.add_argument("--value", default="jumping_point", choices=HEAT_VALUES, help="heatmap value")
    p.add_argument("--metric", default="accuracy", choices=("accuracy", "f1", "auc"), help="metric of the curves")
    p.add_argument("--x", default="relative", choices=("relative", "layer"),
                   help="x-axis: relative depth (layer / layers, default) or layer")
    p.add_argument("--width", type=float, default=10.0, help="figure width in inches (default 10)")
    p.add_argument("--height", type=float, default=None,
                   help="figure height in inches (default: from the number of panel rows)")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    p.add_argument("--out", default=None, help="write the depth table as CSV")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_families)
