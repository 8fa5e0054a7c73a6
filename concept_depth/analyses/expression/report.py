"""The text ``python -m concept_depth expression`` prints: per-layer probe and lens accuracy with their gap,
the few-shot curve, pass@n and maj@n, and the summary."""

from __future__ import annotations


def _fmt(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def report(result) -> str:
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


__all__ = ["report"]
