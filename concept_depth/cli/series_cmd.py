"""``python -m concept_depth series``: one model at several training stages, cognition beside expression.

The stages are hub revisions of one model, or local folders / GGUF files, in training order::

    python -m concept_depth series --model org/name --revision step1000,step2000,main --dataset cities
    python -m concept_depth series --series base=ckpt/base,sft=ckpt/sft,rlhf=ckpt/rlhf --dataset cities \\
        --limit 200 --out series.csv --figure series.svg

Per stage and dataset: a probe run (cognition: the best probe accuracy and the jumping point) and the
expression analysis (the zero-shot answer accuracy), run as one grid (cached results come back at
once, a failure does not stop the others). Prints one row per stage and the correlation of
cognition and expression over stages (Pearson and Spearman, with the number of stages).
"""

from __future__ import annotations

import argparse
import sys

from ..core.options import DATASET_OPTIONS, DEPTH_OPTIONS, EXTRACTION_OPTIONS, MODEL_OPTIONS, PROBE_OPTIONS, values_of
from ..export.series import OUT_SUFFIXES, write_series_outputs
from ..storage.store import Store
from ..workflows.families import depth_row
from ..workflows.series import (
    SERIES_EXPRESSION_OPTIONS,
    SERIES_MODEL_HELP,
    SERIES_OPTIONS,
    CheckpointSeries,
    plan_series,
    run_series,
)
from .options import add_option_groups, check_output_path, check_range, check_run_options
from .progress_bar import TqdmProgress

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
#: The option groups of ``series``: ``--dataset`` takes a comma list, ``--revision`` one revision per stage.
SERIES_GROUPS = (SERIES_OPTIONS, MODEL_OPTIONS.with_defaults(model=None).with_help(**SERIES_MODEL_HELP),
                 DATASET_OPTIONS, EXTRACTION_OPTIONS, PROBE_OPTIONS, DEPTH_OPTIONS, SERIES_EXPRESSION_OPTIONS)


def _cell(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def format_series_table(series: CheckpointSeries) -> str:
    """Plain-text table: per stage and dataset, cognition (best probe accuracy, its layer, the jumping
    point) beside expression (answer accuracy) and the gap; then each dataset's correlations."""
    head = ("stage", "dataset", "L", "best probe", "layer", "jump", "answer acc", "gap")
    rows = series.table()
    body = [(r["stage"], r["dataset"], _cell(r["layers"]), _cell(r["best_probe_accuracy"]),
             _cell(r["best_probe_layer"]), _cell(r["jumping_point"]), _cell(r["answer_accuracy"]),
             "-" if r["gap"] is None else f"{r['gap']:+.3f}") for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in [head, *body]]
    lines.append("(jump '-': not acquired; answer acc: zero-shot, on the samples not held out as examples; "
                 "gap = best probe - answer acc)")
    for c in series.correlations():
        what = "best probe accuracy" if c.cognition == "best_probe_accuracy" else "jumping point"
        lines.append(f"{c.dataset}: {what} vs answer accuracy: {c.text}")
    return "\n".join(lines)


def _series(args: argparse.Namespace) -> int:
    plan = plan_series(**values_of(args, SERIES_GROUPS))  # every spec first: a typo fails before any model loads
    check_run_options(args)
    if args.out:
        check_output_path(args.out, "--out", suffixes=OUT_SUFFIXES)
    if args.figure:
        check_output_path(args.figure, "--figure", suffixes=FIGURE_SUFFIXES)
    check_range(args.width, "--width", 0.5, 100)
    check_range(args.height, "--height", 0.5, 100)
    check_range(args.dpi, "--dpi", 10, 2400)
    total = 2 * len(plan.items)

    def report(i: int, step, outcome) -> None:
        if not outcome.ok:
            print(f"[{i}/{total}] {step.label}: FAILED ({outcome.error})", file=sys.stderr)
            return
        r = outcome.result
        state = "cached" if r.cached or r.timing.get("cached") else "computed"
        if step.what == "probe":
            d = depth_row(r)
            jump = f"jump {d['jumping_point']}" if d["jumping_point"] is not None else "not acquired"
            text = f"{r.n_layers} layers, best {d['peak_accuracy']:.3f} at layer {d['peak_layer']}, {jump}"
        else:
            text = f"answer accuracy {r.summary['final_answer_accuracy']:.3f} on {r.summary['n_eval']}"
        print(f"[{i}/{total}] {step.label}: {text}; {state}")

    series = run_series(plan, store=Store(args.cache_dir), device=args.device, batch_size=args.batch_size,
                        n_jobs=args.jobs, on_step=report,
                        progress_for=lambda i, _step: TqdmProgress(prefix=f"[{i}/{total}] ",
                                                                   disable=args.quiet or None))
    print()
    print(series.to_json() if args.json else format_series_table(series))
    for line in write_series_outputs(series, out=args.out, figure=args.figure, width=args.width, height=args.height,
                                     dpi=args.dpi):
        print(line)
    failures = series.failures
    if not failures:
        return 0
    for what, error, _code in failures:
        print(f"failed: {what}: {error}", file=sys.stderr)
    sys.stderr.write(f"error: {len(failures)} of {total} steps failed (listed above)\n")
    code = failures[0][2]
    return code if code in (2, 3) else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "series", help="a checkpoint series: cognition and expression of one model at several training stages",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_option_groups(p, SERIES_GROUPS, listed=("dataset",))
    g = p.add_argument_group("output")
    g.add_argument("--out", default=None, help="write the table (.csv) or the whole series with its correlations (.json)")
    g.add_argument("--json", action="store_true", help="print the series JSON instead of the table")
    g.add_argument("--figure", default=None, help="the series figure (cognition and expression per stage): "
                                                  ".png, .svg or .pdf")
    g.add_argument("--width", type=float, default=7.0, help="figure width in inches (default 7)")
    g.add_argument("--height", type=float, default=5.5, help="figure height in inches (default 5.5)")
    g.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_series)
