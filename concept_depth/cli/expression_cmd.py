"""``python -m concept_depth expression``: what the model answers against what a probe reads.

Prints the per-layer probe and logit-lens accuracies with their gap, the few-shot
curve and pass@n; ``--out`` writes the result JSON (schema ``concept-depth/expression@1``).
"""

from __future__ import annotations

import argparse

from ..analyses.expression import ExpressionSpec, parse_answer_words, parse_shots, run_expression
from ..storage.store import Store
from .options import (
    add_chat_template_option,
    add_dataset_options,
    add_model_options,
    check_output_path,
    check_run_options,
    dataset_spec,
    model_spec,
)
from .progress_bar import emit_result, progress_bar


def _fmt(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def format_table(result) -> str:
    """Per-layer table, few-shot curve, pass@n and summary as plain text."""
    lines = [f"{'layer':>5} {'probe':>6} {'lens':>6} {'gap':>7}"]
    for row in result.layers:
        lines.append(f"{row['layer']:>5} {_fmt(row['probe_accuracy']):>6} {_fmt(row['lens_accuracy']):>6} "
                     f"{_fmt(row['gap']):>7}")
    lines += ["", f"{'shots':>5} {'answer acc':>10} {'pass@1':>7} {'AUC':>6} {'said 1':>7} {'answer mass':>11}"]
    for s in result.shots:
        lines.append(f"{s['k']:>5} {_fmt(s['accuracy']):>10} {_fmt(s['pass1']):>7} {_fmt(s.get('auc')):>6} "
                     f"{_fmt(s.get('predicted_class1')):>7} {_fmt(s['answer_mass'], 4):>11}")
    ns = [p for p in result.pass_at_n if p["n"] in (1, 2, 4, 8, 16)]
    lines += ["", "pass@n (zero-shot): " + "  ".join(f"n={p['n']}: {p['pass']:.3f}" for p in ns)
              + "   (a coin flipper: 1 - 0.5^n)"]
    maj = [m for m in result.maj_at_n if m["n"] in (1, 3, 5, 9, 15)]
    if maj:
        lines.append("maj@n  (zero-shot): " + "  ".join(f"n={m['n']}: {m['maj']:.3f}" for m in maj)
                     + "   (majority of n sampled answers; a coin flipper: 0.5)")
    s, spec = result.summary, result.spec
    words = spec.get("answer_words") or []
    tokens = spec.get("answer_tokens") or [[], []]
    lines += [
        "",
        f"{result.label}: {s['n_eval']} evaluated samples, answer words {words[0]!r} {tokens[0]} / "
        f"{words[1]!r} {tokens[1]}",
        f"best probe accuracy     {_fmt(s['best_probe_accuracy'])} (layer {s['best_probe_layer']})",
        f"final answer accuracy   {_fmt(s['final_answer_accuracy'])} (zero-shot, greedy); "
        f"pass@1 {_fmt(s['final_pass1'])}",
        f"gap                     {_fmt(s['gap'])} (best probe - final answer)",
        f"answer AUC              {_fmt(s.get('final_answer_auc'))} (ranking by p(class 1), bias-free); "
        f"answers class 1 for {_fmt(s.get('predicted_class1'))} of samples",
        f"best logit-lens layer   {s['best_lens_layer']} ({_fmt(s['best_lens_accuracy'])})",
        f"best few-shot           k={s['best_shots']} ({_fmt(s['best_shots_accuracy'])})",
    ]
    t = result.timing
    lines.append("timing: cached result" if result.cached else
                 f"timing: load {t.get('load_s', 0):.1f}s, expression {t.get('expression_s', 0):.1f}s, "
                 f"probe {t.get('probe_s', 0):.1f}s")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:

    spec = ExpressionSpec(model=model_spec(args), dataset=dataset_spec(args), shots=parse_shots(args.shots),
                          seed=args.seed, answer_words=parse_answer_words(args.answer_words),
                          answer_cue=args.answer_cue.replace("\\n", "\n"), pool_size=args.pool_size,
                          max_n=args.max_n, max_tokens=args.max_tokens, probe=not args.no_probe,
                          chat_template=args.chat_template)
    check_run_options(args)
    if args.out:
        check_output_path(args.out, "--out")
    store = Store(args.cache_dir)
    with progress_bar(args) as bar:
        result = run_expression(spec, store=store, batch_size=args.batch_size, device=args.device, progress=bar)
    emit_result(result, args, format_table)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "expression", help="the model's own answers (logit lens, few-shot, pass@n) against the probe",
        description="Cognition versus expression: read the model's answer from the next-token probabilities of "
                    "the dataset's two answer words, at every layer (logit lens), with k solved examples and "
                    "over n sampled answers, next to the probe accuracy per layer.")
    add_model_options(p)
    add_dataset_options(p)
    p.add_argument("--shots", default="0,1,2,4,8", help="comma-separated numbers of solved examples (0 always runs)")
    p.add_argument("--seed", type=int, default=0, help="seed of the held-out example pool and example order")
    p.add_argument("--answer-words", default=None,
                   help="class-0,class-1 answer words, e.g. No,Yes (default: the dataset's own)")
    p.add_argument("--answer-cue", default="\\nAnswer:",
                   help="text ending every prompt before the answer ('\\n' = newline; '' keeps the dataset prompt)")
    p.add_argument("--pool-size", type=int, default=16, help="samples held out as examples (never evaluated)")
    p.add_argument("--max-n", type=int, default=16, help="report pass@n for n = 1..N")
    p.add_argument("--no-probe", action="store_true", help="skip the probe (expression numbers only)")
    p.add_argument("--max-tokens", type=int, default=512, help="cut longer sample texts to this many tokens")
    add_chat_template_option(p)
    p.add_argument("--batch-size", type=int, default=8, help="prompts per forward pass (does not change results)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")
    p.add_argument("--out", default=None, help="write the result JSON to this file")
    p.add_argument("--json", action="store_true", help="print the result JSON instead of the table")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)
