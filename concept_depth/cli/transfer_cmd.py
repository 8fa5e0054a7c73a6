"""``python -m concept_depth transfer``: train a probe on dataset A, test it on dataset B, at every layer.

Prints the train x test matrix at the layer where transfer is best, the best layer of every
pair and the mean transfer per layer; ``--out`` writes the result JSON (schema
``concept-depth/transfer@1``), ``--figure`` the heatmap (``--layer`` picks the layer).
"""

from __future__ import annotations

import argparse

from ..analyses import run_transfer
from ..analyses.builders import transfer_spec
from ..core.specs import PROBES
from ..storage.store import Store
from .analysis_output import add_output_options, fmt, timing_line, write_figure
from .options import (
    DATASET_KEYS,
    EXTRACTION_KEYS,
    MODEL_KEYS,
    add_dataset_options,
    add_extraction_options,
    add_model_options,
    options_of,
)
from .progress_bar import emit_result, progress_bar


def format_table(result, layer: int | None = None) -> str:
    names = list(result.datasets)
    layer = result.summary.get("best_transfer_layer") if layer is None else layer
    if layer is None:
        layer = result.layers[-1]
    width = max(8, *(len(n) for n in names)) + 1
    m = result.matrix(layer)
    lines = [f"accuracy at layer {layer}: rows = trained on (training split), columns = tested on (held-out split)",
             " " * width + "".join(f"{n:>{width}}" for n in names)]
    for a, name in enumerate(names):
        lines.append(f"{name:<{width}}" + "".join(f"{fmt(v):>{width}}" for v in m[a]))
    lines += ["", "best layer per pair:"]
    for pair, best in result.summary["best"].items():
        lines.append(f"  {pair.replace('->', ' -> '):<{2 * width + 4}} layer {best['layer']:>3}  accuracy "
                     f"{fmt(best['accuracy'])}  AUC {fmt(best['auc'])}")
    if len(names) > 1:
        lines += ["", "mean transfer accuracy (off-diagonal) by layer:",
                  "  " + "  ".join(f"{l}:{fmt(v, 2)}" for l, v in zip(result.layers, result.summary["mean_transfer"]))]
    s = result.spec
    lines += ["", f"{s['model_label']}, {s['hook']} / {s['pooling']}, probe {s['probe_name']}, "
              f"train {result.n_train} / test {result.n_test} samples, chance {[round(c, 3) for c in result.chance]}",
              timing_line(result)]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:

    spec = transfer_spec(probe=args.probe, seed=args.seed,
                         **options_of(args, MODEL_KEYS + DATASET_KEYS + EXTRACTION_KEYS))
    with progress_bar(args) as bar:
        result = run_transfer(spec, store=Store(args.cache_dir), batch_size=args.batch_size, device=args.device,
                              progress=bar)
    emit_result(result, args, lambda r: format_table(r, args.layer))
    if args.figure:
        print(f"wrote {write_figure(result.figure(layer=args.layer), args.figure)}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("transfer", help="train a probe on one dataset, test it on another, at every layer",
                              description=__doc__.split("\n\n")[0])
    add_model_options(p)
    add_dataset_options(p, multi=True)
    add_extraction_options(p)
    p.add_argument("--probe", default="lr", choices=PROBES, help="lr (the paper), mass-mean or rf")
    p.add_argument("--seed", type=int, default=42, help="seed of each dataset's 60/40 split")
    p.add_argument("--layer", type=int, default=None, help="layer of the printed matrix and the figure "
                                                           "(default: the best mean transfer)")
    add_output_options(p, "the train x test heatmap")
    p.set_defaults(func=_run)
