"""``python -m concept_depth steer``: does the model use the concept? Push along the probe direction.

At each layer (``--layers``, default all) and each ``--alpha``, adds alpha x (the layer's typical
last-token residual size, ``--norm``) x (the unit probe direction) to the last token's residual stream and
measures how p(class-1 answer word) moves on the held-out samples, against a random direction
of the same norm. ``--out`` writes the result JSON (schema ``concept-depth/steering@1``),
``--figure`` the effect-by-layer figure with the probe curve.
"""

from __future__ import annotations

import argparse

from ..analyses import run_steer
from ..analyses.builders import steer_spec
from ..storage.store import Store
from .analysis_output import add_output_options, add_run_options, fmt, timing_line, write_figure
from .options import (
    DATASET_KEYS,
    MODEL_KEYS,
    add_chat_template_option,
    add_dataset_options,
    add_model_options,
    options_of,
)
from .progress_bar import emit_result, progress_bar


def format_table(result) -> str:
    words = result.answer["words"]
    names = result.spec.get("label_names") or ["class 0", "class 1"]
    alphas = list(result.alphas)
    probe = result.effect("probe", "delta_class1")
    rand = result.effect("random", "delta_class1")
    head = f"{'layer':>5} {'probe acc':>9} {'unit':>8} " + " ".join(f"{f'α={a:+g} probe/random':>22}" for a in alphas)
    lines = [f"Δ p({words[1]}) on held-out {names[1]} samples (mean over samples), probe direction / random direction",
             head]
    for i, layer in enumerate(result.layers):
        cells = " ".join(f"{fmt(probe[i, j], 3, True) + ' / ' + fmt(rand[i, j], 3, True):>22}" for j in range(len(alphas)))
        lines.append(f"{layer:>5} {fmt(result.probe_accuracy[i]):>9} {result.norms[i]:>8.1f} {cells}")
    b, base, s = result.summary["best"], result.baseline, result.summary
    z = "-" if b["z"] is None else f"{b['z']:.1f}"
    lines += [
        "",
        f"baseline: p({words[1]}) = {fmt(base['p1_class1'])} on {names[1]}, {fmt(base['p1_class0'])} on {names[0]} "
        f"samples; answer accuracy {fmt(base['accuracy'])} ({s['n_test']} held-out samples, {s['n_test_class1']} "
        f"{names[1]})",
        f"largest move on {names[1]} samples: layer {b['layer']}, α = {b['alpha']:+g}: probe direction "
        f"{fmt(b['probe_delta_class1'], 3, True)} ± {fmt(b['probe_delta_class1_sem'])}, random direction "
        f"{fmt(b['random_delta_class1'], 3, True)} ± {fmt(b['random_delta_class1_sem'])}; paired difference "
        f"{fmt(b['excess_class1'], 3, True)} ± {fmt(b['excess_class1_sem'])} (z = {z})",
        f"most readable layer {s['most_readable_layer']}; most steerable layer (largest |probe − random| over α, "
        f"all samples) {s['most_steerable_layer']}",
        f"{result.spec['model_label']} · {result.spec['dataset']}, probe {result.spec['probe_name']}, "
        f"answer words {words[0]!r} {result.answer['tokens'][0]} / {words[1]!r} {result.answer['tokens'][1]}",
        timing_line(result),
    ]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:

    options = options_of(args, MODEL_KEYS + DATASET_KEYS + ("max_tokens", "chat_template"))
    spec = steer_spec(alpha=args.alpha, layers=args.layers, probe=args.probe, seed=args.seed,
                      random_seed=args.random_seed, answer_words=args.answer_words,
                      answer_cue=args.answer_cue.replace("\\n", "\n"), norm=args.norm, **options)
    with progress_bar(args) as bar:
        result = run_steer(spec, store=Store(args.cache_dir), batch_size=args.batch_size, device=args.device,
                           progress=bar)
    emit_result(result, args, format_table)
    if args.figure:
        print(f"wrote {write_figure(result.figure(), args.figure, height_in=6.0)}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("steer", help="push the residual stream along the probe direction; does the answer move?",
                              description=__doc__.split("\n\n")[0])
    add_model_options(p)
    add_dataset_options(p)
    p.add_argument("--alpha", default="-4,-2,2,4",
                   help="comma-separated push strengths in units of the layer's typical residual norm")
    p.add_argument("--layers", default=None, help="comma-separated residual layers to steer (default all; 0 = embeddings)")
    p.add_argument("--probe", default="mass-mean", choices=("mass-mean", "lr"), help="where the direction comes from")
    p.add_argument("--seed", type=int, default=42, help="seed of the 60/40 split (directions fitted on 60%%)")
    p.add_argument("--random-seed", type=int, default=0, help="seed of the random control directions")
    p.add_argument("--norm", default="centered", choices=("centered", "raw"),
                   help="unit of alpha: centered = median distance of the layer's last-token vectors from their mean "
                        "(default); raw = their median norm (dominated by a few huge constant dimensions in some "
                        "models)")
    p.add_argument("--answer-words", default=None, help="class-0,class-1 answer words (default: the dataset's own)")
    p.add_argument("--answer-cue", default="\\nAnswer:", help="text ending every prompt before the answer")
    p.add_argument("--max-tokens", type=int, default=512, help="cut longer sample texts to this many tokens")
    add_chat_template_option(p)
    add_run_options(p)
    add_output_options(p, "the effect-by-layer figure")
    p.set_defaults(func=_run)
