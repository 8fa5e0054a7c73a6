"""The text ``python -m concept_depth expression`` prints: per-layer probe and lens accuracy with their gap,
the few-shot curve, pass@n and maj@n, and the summary (multiple choice: letter and option-text accuracy,
against a uniform guesser over each question's k options)."""

from __future__ import annotations


def _fmt(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _timing(result) -> str:
    t = result.timing
    return ("timing: cached result" if result.cached else
            f"timing: load {t.get('load_s', 0):.1f}s, expression {t.get('expression_s', 0):.1f}s, "
            f"probe {t.get('probe_s', 0):.1f}s")


def _choice_report(result) -> str:
    """The multiple-choice report: letter and option-text accuracy, their lens, the gap, pass@n / maj@n."""
    mc, s = result.multiple_choice, result.summary
    text_lens = any(r.get("text_lens_accuracy") is not None for r in result.layers)
    head = f"{'layer':>5} {'probe':>6} {'letter lens':>11} {'gap':>7}"
    head += f" {'text lens':>9} {'gap':>7}" if text_lens else ""
    lines = [head]
    for row in result.layers:
        line = (f"{row['layer']:>5} {_fmt(row['probe_accuracy']):>6} {_fmt(row['lens_accuracy']):>11} "
                f"{_fmt(row['gap']):>7}")
        if text_lens:
            line += f" {_fmt(row.get('text_lens_accuracy')):>9} {_fmt(row.get('text_gap')):>7}"
        lines.append(line)
    lines += ["", f"{'shots':>5} {'letter acc':>10} {'text acc':>8} {'pass@1':>7} {'letter mass':>11}  "
              "letters answered"]
    for e in result.shots:
        shares = " ".join(f"{mc['letters'][j]} {v:.2f}" for j, v in enumerate(e.get("letter_shares") or []))
        lines.append(f"{e['k']:>5} {_fmt(e['accuracy']):>10} {_fmt(e.get('text_accuracy')):>8} {_fmt(e['pass1']):>7} "
                     f"{_fmt(e['answer_mass'], 4):>11}  {shares}")
    guess = mc["guesser_pass_at_n"]
    ns = [p for p in result.pass_at_n if p["n"] in (1, 2, 4, 8, 16)]
    lines += ["", "pass@n (zero-shot, letters): " + "  ".join(f"n={p['n']}: {p['pass']:.3f}" for p in ns),
              "  uniform guesser (1/k):     " + "  ".join(f"n={p['n']}: {guess[p['n'] - 1]:.3f}" for p in ns)]
    maj = [m for m in result.maj_at_n if m["n"] in (1, 3, 5, 9, 15)]
    if maj:
        lines += ["maj@n  (zero-shot, letters): " + "  ".join(f"n={m['n']}: {m['maj']:.3f}" for m in maj),
                  f"  uniform guesser (1/k):     {mc['chance']:.3f} for every n (plurality of n sampled letters, "
                  "ties at random)"]
    counts = ", ".join(f"{n} x {k} options" for k, n in sorted(mc["option_counts"].items(), key=lambda t: int(t[0])))
    lines += [
        "",
        f"{result.label}: {mc['n_questions']} evaluated questions ({counts}), chance {mc['chance']:.3f} (mean 1/k); "
        f"{mc['n_pool']} held out as examples",
        f"best probe accuracy     {_fmt(s['best_probe_accuracy'])} (layer {s['best_probe_layer']})",
        f"letter accuracy         {_fmt(s['letter_accuracy'])} (zero-shot, argmax of the question's letters); "
        f"pass@1 {_fmt(s['final_pass1'])}",
        f"option-text accuracy    {_fmt(s['text_accuracy'])} (zero-shot, log-likelihood per character); per token "
        f"{_fmt(s['text_accuracy_token'])}, unnormalised {_fmt(s['text_accuracy_raw'])}",
        f"gap                     {_fmt(s['gap'])} (best probe - letter); {_fmt(s['gap_text'])} (best probe - text)",
        f"{f'pass@{len(guess)} / maj@{len(guess)}':<23} {_fmt(s['pass_at_max_n'])} / {_fmt(s['maj_at_max_n'])} "
        "against a "
        f"uniform guesser's {_fmt(s['guesser_pass_at_max_n'])} / {_fmt(s['guesser_maj_at_n'])}",
        f"best letter-lens layer  {s['best_lens_layer']} ({_fmt(s['best_lens_accuracy'])})"
        + (f"; best text-lens layer {s['best_text_lens_layer']} ({_fmt(s['best_text_lens_accuracy'])})"
           if s.get("best_text_lens_layer") is not None else ""),
        f"best few-shot           letter k={s['best_shots']} ({_fmt(s['best_shots_accuracy'])}); "
        f"text k={s['best_text_shots']} ({_fmt(s['best_text_shots_accuracy'])})",
        f"letter probability mass {_fmt(s['answer_mass'], 4)} (zero-shot share of the next token on the letters)",
        _timing(result),
    ]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def report(result) -> str:
    """Per-layer table, few-shot curve, pass@n and summary as plain text."""
    if getattr(result, "multiple_choice", None) is not None:
        return _choice_report(result)
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
    lines.append(_timing(result))
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


__all__ = ["report"]
