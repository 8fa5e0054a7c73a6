"""What the Cognition vs expression page shows of one result: its metrics and captions, for two answer
words or for multiple-choice questions (pure functions of an ExpressionResult; the page renders them)."""

from __future__ import annotations

from typing import Any

#: Notes under the figures of a multiple-choice result (the binary ones live on the page).
CHOICE_NOTES = {
    "gap": "Solid: accuracy of a linear probe on each layer's last-token residual vector (what the layer *knows*). "
           "Dashed: the letter reading through the logit lens: each layer's vector put through the model's final "
           "norm and output projection, the answer being the letter (A, B, ...) with the highest summed "
           "probability among the question's letters (what the layer would *say*). At the last layer it is the "
           "model's own answer. The option-text reading (each option's log-likelihood per character after the "
           "question) is drawn at every layer when it was read so, else as one point at the last layer. The "
           "dotted line is chance, the mean of 1/k over the questions.",
    "shots": "Letter accuracy (solid), option-text accuracy and pass@1 of a sampled letter (dotted) with k solved "
             "questions before each question, in the same format. Examples come from a held-out pool of "
             "questions that is never evaluated. The dashed line is the best probe accuracy.",
    "passn": "pass@n = mean over questions of 1 − (1 − p_correct)ⁿ, the chance that at least one of n letters "
             "sampled from the model's letter distribution is right; dotted: maj@n, the accuracy of the plurality "
             "vote of n sampled letters (ties broken at random), both exact. Grey: a uniform guesser over each "
             "question's k options, pass@n = mean 1 − (1 − 1/k)ⁿ and maj@n = mean 1/k.",
}


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def metrics(result: Any) -> list[tuple[str, str, str | None]]:
    """(label, value, help) of the metric row: the binary set's six, or the multiple-choice set's six
    (letter and option-text accuracy in place of answer accuracy and AUC)."""
    s = result.summary
    probe = ("Best probe accuracy", _fmt(s["best_probe_accuracy"]),
             None if s["best_probe_layer"] is None else f"layer {s['best_probe_layer']}")
    if result.multiple_choice is None:
        return [
            probe,
            ("Answer accuracy", _fmt(s["final_answer_accuracy"]), "zero-shot, greedy (argmax) answer"),
            ("Gap", _fmt(s["gap"]), "best probe accuracy − answer accuracy"),
            ("pass@1", _fmt(s["final_pass1"]), "expected accuracy of one sampled answer (zero-shot)"),
            ("Answer AUC", _fmt(s.get("final_answer_auc")),
             "ROC-AUC of p(class 1): does the answer distribution rank the classes right, whatever its bias? "
             f"The model answers class 1 for {_fmt(s.get('predicted_class1'))} of the samples."),
            ("Best few-shot", _fmt(s["best_shots_accuracy"]), f"k = {s['best_shots']}"),
        ]
    chance = result.multiple_choice["chance"]
    return [
        probe,
        ("Letter accuracy", _fmt(s["letter_accuracy"]),
         f"zero-shot: the letter with the highest next-token probability among the question's letters; chance "
         f"{chance:.3f} (mean 1/k)"),
        ("Option-text accuracy", _fmt(s["text_accuracy"]),
         "zero-shot: the option whose text is most likely after the question, log-likelihood per character "
         f"(per token {_fmt(s.get('text_accuracy_token'))}, unnormalised {_fmt(s.get('text_accuracy_raw'))})"),
        ("Gap", _fmt(s["gap"]),
         f"best probe accuracy − letter accuracy; − option-text accuracy: {_fmt(s.get('gap_text'))}"),
        ("pass@1", _fmt(s["final_pass1"]), "expected accuracy of one sampled letter (zero-shot); chance "
                                           f"{chance:.3f}"),
        ("Best few-shot", _fmt(s["best_shots_accuracy"]),
         f"letters: k = {s['best_shots']}; option text: k = {s.get('best_text_shots')} "
         f"({_fmt(s.get('best_text_shots_accuracy'))})"),
    ]


def caption(result: Any) -> str:
    """One line under the metrics: what was evaluated and how the answer was read."""
    s, mc = result.summary, result.multiple_choice
    if mc is None:
        words = result.spec.get("answer_words") or ["", ""]
        tokens = result.spec.get("answer_tokens") or [[], []]
        return (f"{s['n_eval']} evaluated samples · answer words {words[0]!r} → {', '.join(tokens[0])} and "
                f"{words[1]!r} → {', '.join(tokens[1])} · answer-word probability mass {s['answer_mass']:.3f}")
    counts = ", ".join(f"{n} × {k} options" for k, n in sorted(mc["option_counts"].items(), key=lambda t: int(t[0])))
    n = len(mc["guesser_pass_at_n"])
    return (f"{mc['n_questions']} evaluated questions ({counts}; {mc['n_pool']} held out as examples) · chance "
            f"{mc['chance']:.3f} (mean 1/k) · pass@{n} {_fmt(s.get('pass_at_max_n'))} and maj@{n} "
            f"{_fmt(s.get('maj_at_max_n'))} against a uniform guesser's {_fmt(s.get('guesser_pass_at_max_n'))} and "
            f"{_fmt(s.get('guesser_maj_at_n'))} · letter probability mass {s['answer_mass']:.3f}")


def layer_columns(result: Any) -> list[str]:
    """The per-layer table's columns (the option-text lens when it was read)."""
    cols = ["layer", "probe_accuracy", "lens_accuracy", "gap"]
    if any(r.get("text_lens_accuracy") is not None for r in result.layers):
        cols += ["text_lens_accuracy", "text_gap"]
    return cols


__all__ = ["CHOICE_NOTES", "metrics", "caption", "layer_columns"]
