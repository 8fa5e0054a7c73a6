"""``python -m concept_depth directions``: cosine between probe directions across layers and settings.

Fits one linear probe per layer (default mass-mean) on the training split and compares the
directions: layer x layer for the reference setting (the first ``--quant`` and ``--noise``),
and per layer between every other setting and the reference. ``--out`` writes the result
JSON (schema ``concept-depth/directions@1``), ``--figure`` the layer x layer heatmap.
"""

from __future__ import annotations

import argparse

import numpy as np

from ..analyses import run_directions
from ..analyses.builders import directions_spec
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


def format_table(result) -> str:
    layers = list(result.layers)
    ref = result.layer_matrix(0)
    own = np.asarray(result.own_accuracy)
    peak = int(np.argmax(own[0]))
    others = list(enumerate(result.settings))[1:]
    lines = [f"reference R = {result.settings[0]} (its probe peaks at layer {layers[peak]})"]
    lines += [f"S{t} = {name}" for t, name in others]
    head = f"{'layer':>5} {'R acc':>6} {'cos next':>8} {'cos peak':>8}"
    for t, _ in others:
        head += f" | {f'S{t} cos R':>9} {f'S{t} acc':>7} {'R probe':>7}"
    lines.append(head)
    for i, layer in enumerate(layers):
        row = (f"{layer:>5} {fmt(own[0, i]):>6} {fmt(ref[i, i + 1] if i + 1 < len(layers) else None):>8} "
               f"{fmt(ref[i, peak]):>8}")
        for t, _ in others:
            row += (f" | {fmt(result.setting_cosine[0][t][i]):>9} {fmt(own[t, i]):>7} "
                    f"{fmt(result.cross_accuracy[0][t][i]):>7}")
        lines.append(row)
    if others:
        lines.append("(S cos R: cosine of the setting's direction to R's at that layer; R probe: R's probe "
                     "scored on the setting's held-out vectors)")
    off = ref[~np.eye(len(layers), dtype=bool)]
    s = result.spec
    lines += ["", f"layer x layer cosine ({result.settings[0]}): mean off-diagonal {fmt(float(off.mean()))}, "
              f"min {fmt(float(off.min()))}; random directions ≈ {fmt(result.chance_cosine)}",
              f"{s['model_label']} · {s['dataset']}, {s['hook']} / {s['pooling']}, probe {s['probe_name']}",
              timing_line(result)]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:

    spec = directions_spec(probe=args.probe, seed=args.seed,
                           **options_of(args, MODEL_KEYS + DATASET_KEYS + EXTRACTION_KEYS))
    with progress_bar(args) as bar:
        result = run_directions(spec, store=Store(args.cache_dir), batch_size=args.batch_size, device=args.device,
                                progress=bar)
    emit_result(result, args, format_table)
    if args.figure:
        print(f"wrote {write_figure(result.figure(), args.figure, height_in=5.5)}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("directions", help="cosine between probe directions across layers, bit widths, noise",
                              description=__doc__.split("\n\n")[0])
    add_model_options(p, multi=True)
    add_dataset_options(p, multi=True)
    add_extraction_options(p)
    p.add_argument("--probe", default="mass-mean", choices=("mass-mean", "lr"),
                   help="where the direction comes from: mass-mean (mu_1 - mu_0) or lr (coefficients)")
    p.add_argument("--seed", type=int, default=42, help="seed of the 60/40 split")
    add_output_options(p, "the layer x layer cosine heatmap")
    p.set_defaults(func=_run)
