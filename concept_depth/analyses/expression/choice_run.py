"""Expression on a multiple-choice set: the model's own answer to each question, by letter and by option text.

Protocol (one ExpressionSpec on a SampleSet with ``questions``):

1. Hold out a seeded pool of ``pool_size`` questions as solved examples; every number is measured
   on the other questions only.
2. For each k in ``shots`` (the first k of one seeded order of the pool, answer letters taking
   turns), two readings (formats: :mod:`.choice_prompts`; definitions: :mod:`.choice_scoring`):

   - **letter**: one prompt per question with its options listed; the letter distribution from the
     next-token logits of the letter tokens, of the model itself and through the logit lens at
     every layer (the same forward pass);
   - **option text**: one prompt per option (context + `` <option>``); the option's log-likelihood
     at the last layer (the model's own) and, with ``text_lens``, zero-shot, through the lens at
     every layer; the answer maximises it per character.
3. pass@n and maj@n sample letters from the letter distribution (the option-text scores are not a
   distribution over options); a uniform guesser over each question's k options is their baseline.
4. The zero-shot letter lens accuracy per layer sits next to the probe's accuracy per layer; the gap
   is their difference (and the option-text lens' when it was read).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...capture import Capture
from ...core.errors import BadInputError
from ...core.progress import ProgressTracker
from ...datasets import SampleSet
from ...datasets.sample_set import LETTERS, Questions
from ..protocol import Session
from . import choice_scoring as cs
from .answer_words import LetterTokens, resolve_letters
from .choice_prompts import (
    continuation,
    letter_prompt,
    question_example_order,
    split_question_pool,
    text_context,
)
from .common import ProbeCurve, flat_spec, probe_curve
from .continuations import score_continuations
from .result import ExpressionResult
from .scores import score_prompts
from .scoring import pass_at_n
from .spec import ExpressionSpec

LETTER_FORMAT = "Question: <question>\\n A. <option>\\n B. <option>...<cue>, answer ' <letter>' (OLMES MC)"
TEXT_FORMAT = "Question: <question><cue>, continuation ' <option>' (OLMES RC / the harness' cloze)"
TEXT_NORM = ("per character: log-likelihood / characters of ' <option>', leading space included (OLMES "
             "'character'; lm-evaluation-harness acc_norm divides by the option's characters)")


def _best(pairs: list[tuple[float, int]]) -> tuple[float | None, int | None]:
    """(highest value, its earliest position) or (None, None)."""
    return max(pairs, key=lambda t: (t[0], -t[1])) if pairs else (None, None)


def _text_entry(scores, n_options: np.ndarray, answers: np.ndarray) -> dict[str, Any]:
    """Option-text answers from continuation scores (one row per option, question by question)."""
    final = scores.logp[:, -1]
    per_char = cs.text_scores(final, scores.n_chars, scores.n_tokens, n_options, "char")
    chosen = cs.picks(per_char, n_options)
    out = {
        "text_accuracy": cs.accuracy(chosen, answers),
        "text_accuracy_token": cs.accuracy(cs.picks(cs.text_scores(final, scores.n_chars, scores.n_tokens,
                                                                   n_options, "token"), n_options), answers),
        "text_accuracy_raw": cs.accuracy(cs.picks(cs.text_scores(final, scores.n_chars, scores.n_tokens,
                                                                 n_options, "none"), n_options), answers),
        "text_lens_accuracy": None, "text_shares": cs.answer_shares(chosen, per_char.shape[1]),
        "text_choice": [int(c) for c in chosen], "text_mean_tokens": float(scores.prompt_tokens.mean()),
    }
    if scores.logp.shape[1] > 1:  # every layer: [R, L+1] -> [Q, J, L+1] -> [Q, L+1, J]
        layered = np.moveaxis(cs.text_scores(scores.logp, scores.n_chars, scores.n_tokens, n_options, "char"), -1, 1)
        out["text_lens_accuracy"] = cs.layer_accuracies(cs.picks(layered, n_options), answers)
    return out


def _letter_entry(scores, letters: LetterTokens, n_options: np.ndarray, answers: np.ndarray,
                  max_n: int) -> dict[str, Any]:
    """Letter answers, pass@n, maj@n and the letter lens per layer from answer-token logits."""
    probs = cs.letter_probs(scores.final, letters.columns, n_options)  # [Q, J]
    lens = cs.letter_probs(scores.lens, letters.columns, n_options)  # [Q, L+1, J]
    chosen = cs.picks(probs, n_options)
    right = cs.correct_probability(probs, answers)
    return {
        "accuracy": cs.accuracy(chosen, answers), "pass1": float(right.mean()), "auc": None,
        "predicted_class1": None, "pass_at_n": pass_at_n(right, range(1, max_n + 1)),
        "maj_at_n": cs.maj_table(probs, answers, max_n),
        "answer_mass": float(cs.letter_mass(scores.final, scores.final_lse, letters.columns, n_options).mean()),
        "lens_accuracy": cs.layer_accuracies(cs.picks(lens, n_options), answers),
        "lens_pass1": [float(v) for v in cs.correct_probability(lens, answers).mean(axis=0)],
        "lens_auc": [None] * lens.shape[1], "mean_tokens": float(scores.n_tokens.mean()),
        "letter_shares": cs.answer_shares(chosen, probs.shape[1]), "letter_choice": [int(c) for c in chosen],
        "p_letters": [[round(float(v), 6) for v in row[:k]] for row, k in zip(probs, n_options)],
    }


def _shots(spec: ExpressionSpec, session: Session, loaded, questions: Questions, letters: LetterTokens,
           pool: np.ndarray, evaluation: np.ndarray) -> list[dict[str, Any]]:
    """One entry per shot count: k solved pool questions before each evaluated question, both readings."""
    cap = Capture(loaded)
    order = question_example_order(pool, questions.answers, spec.seed) if len(pool) else pool
    k_opts, answers = questions.n_options[evaluation], questions.answers[evaluation]
    n_rows = int(k_opts.sum())
    tracker = ProgressTracker(session.progress, "expression", (len(evaluation) + n_rows) * len(spec.shots))
    tracker.update(0)
    out = []
    for j, k in enumerate(spec.shots):
        examples = [int(e) for e in order[:k]]
        base = j * (len(evaluation) + n_rows)
        letter_scores = score_prompts(
            loaded, [letter_prompt(questions, int(q), examples, spec.answer_cue) for q in evaluation],
            letters.all_ids, batch_size=session.batch_size, capture=cap, chat_template=spec.chat_template,
            on_batch=lambda done, base=base: tracker.update(base + done))
        contexts = [text_context(questions, int(q), examples, spec.answer_cue) for q in evaluation]
        text_scores = score_continuations(
            loaded, [c for c, kq in zip(contexts, k_opts) for _ in range(kq)],
            [continuation(o) for q in evaluation for o in questions.options[int(q)]],
            layers=range(loaded.n_layers + 1) if spec.text_lens and k == 0 else None,
            batch_size=session.batch_size, capture=cap, chat_template=spec.chat_template,
            on_batch=lambda done, base=base + len(evaluation): tracker.update(base + done))
        entry = {"k": int(k), **_letter_entry(letter_scores, letters, k_opts, answers, spec.max_n),
                 **_text_entry(text_scores, k_opts, answers), "examples": examples}
        entry["long_prompts"] = int((letter_scores.n_tokens > spec.max_tokens).sum()
                                    + (text_scores.prompt_tokens > spec.max_tokens).sum())
        out.append(entry)
    return out


def _layers(shots: list[dict], curve: ProbeCurve | None) -> list[dict[str, Any]]:
    zero = shots[0]
    probe = curve.accuracy if curve else {}
    text_lens = zero["text_lens_accuracy"] or [None] * len(zero["lens_accuracy"])
    rows = []
    for layer, (acc, p1, text) in enumerate(zip(zero["lens_accuracy"], zero["lens_pass1"], text_lens)):
        p = probe.get(layer)
        rows.append({"layer": layer, "probe_accuracy": p, "lens_accuracy": acc, "lens_pass1": p1, "lens_auc": None,
                     "gap": None if p is None else p - acc, "text_lens_accuracy": text,
                     "text_gap": None if p is None or text is None else p - text})
    return rows


def _summary(layers: list[dict], shots: list[dict], n_eval: int, chance: float, guesser: list[float]) -> dict[str, Any]:
    zero = shots[0]
    best_probe, best_probe_layer = _best([(r["probe_accuracy"], r["layer"]) for r in layers
                                          if r["probe_accuracy"] is not None])
    best_lens, best_lens_layer = _best([(r["lens_accuracy"], r["layer"]) for r in layers])
    best_text_lens, best_text_lens_layer = _best([(r["text_lens_accuracy"], r["layer"]) for r in layers
                                                  if r["text_lens_accuracy"] is not None])
    best_shot = max(shots, key=lambda s: (s["accuracy"], -s["k"]))
    best_text = max(shots, key=lambda s: (s["text_accuracy"], -s["k"]))
    minus = (lambda a, b: None if a is None or b is None else a - b)
    return {
        "best_probe_accuracy": best_probe, "best_probe_layer": best_probe_layer,
        "final_answer_accuracy": zero["accuracy"], "letter_accuracy": zero["accuracy"],
        "text_accuracy": zero["text_accuracy"], "text_accuracy_token": zero["text_accuracy_token"],
        "text_accuracy_raw": zero["text_accuracy_raw"], "final_pass1": zero["pass1"], "final_answer_auc": None,
        "predicted_class1": None, "gap": minus(best_probe, zero["accuracy"]),
        "gap_text": minus(best_probe, zero["text_accuracy"]),
        "best_lens_accuracy": best_lens, "best_lens_layer": best_lens_layer,
        "best_text_lens_accuracy": best_text_lens, "best_text_lens_layer": best_text_lens_layer,
        "best_shots": best_shot["k"], "best_shots_accuracy": best_shot["accuracy"],
        "best_text_shots": best_text["k"], "best_text_shots_accuracy": best_text["text_accuracy"],
        "gap_best_shots": minus(best_probe, best_shot["accuracy"]),
        "answer_mass": zero["answer_mass"], "n_eval": n_eval, "chance": chance,
        "pass_at_max_n": zero["pass_at_n"][-1], "guesser_pass_at_max_n": guesser[-1],
        "maj_at_max_n": zero["maj_at_n"][-1]["maj"], "guesser_maj_at_n": chance,
    }


def _notes(spec: ExpressionSpec, letters: LetterTokens, curve: ProbeCurve | None,
           n_pool: int, n_eval: int, chance: float, long_prompts: int) -> list[str]:
    spelt = "; ".join(f"{letter} = {list(tokens)}" for letter, tokens in zip(letters.letters, letters.tokens))
    notes = [
        f"{n_pool} questions held out as few-shot examples; all accuracies are on the other {n_eval} questions "
        f"(chance {chance:.3f} = mean 1/k)",
        f"letter reading: {LETTER_FORMAT}; the answer is the letter with the highest next-token probability among "
        f"the question's letters, each letter's tokens summed (with and without a leading space: {spelt})",
        f"option-text reading: {TEXT_FORMAT}; the answer has the highest log-likelihood {TEXT_NORM}",
        "both readings use the harness formats above, not the dataset's Yes/No prompt (that one is the probe's)",
        "logit lens: the letter reading at every layer and every k; the option text "
        + ("at every layer, zero-shot (--text-lens), and at the last layer for k > 0" if spec.text_lens
           else "at the last layer only (--text-lens reads it at every layer, zero-shot)"),
        "pass@n and maj@n sample letters from the letter distribution; maj@n is the plurality vote of n letters, "
        "ties broken uniformly at random, computed exactly; a uniform guesser scores mean 1 - (1 - 1/k)^n and "
        "mean 1/k",
    ]
    if curve is None:
        notes.append("no probe run")
    elif curve.per_question:
        notes.append("probe accuracy: residual stream, paper protocol, per question (argmax over the options' "
                     "scores; chance 1/k), on its own held-out questions")
    else:
        notes.append(f"probe accuracy: residual stream, paper protocol, scored per option row (chance "
                     f"{curve.chance:.3f}), not per question: the gap sets it against a per-question answer "
                     "accuracy, unlike numbers, until the probe reads questions")
    if spec.answer_words is not None:
        notes.append(f"answer words {list(spec.answer_words)} are not used: a multiple-choice question is answered "
                     "by letter and by option text")
    if long_prompts:
        notes.append(f"{long_prompts} prompts are longer than max tokens ({spec.max_tokens}); they are read whole "
                     "(the answers' questions are not cut)")
    if spec.chat_template:
        notes.append("prompts wrapped as one user turn of the model's chat template (few-shot examples inside it); "
                     "the letter is the first token of the assistant's reply and the option text its beginning")
    return notes


def choice_result(spec: ExpressionSpec, session: Session, key: str, samples: SampleSet, loaded,
                  load_s: float) -> ExpressionResult:
    """The expression result of a multiple-choice set (see the module docstring)."""
    questions = samples.questions
    if questions is None:
        raise ValueError("choice_result needs a multiple-choice SampleSet")
    width = int(questions.n_options.max())
    letters = Capture(loaded).tokenized(lambda tok: resolve_letters(tok, LETTERS[:width]))
    pool, evaluation = split_question_pool(len(questions), spec.pool_size, spec.seed)
    if not len(evaluation):
        raise BadInputError("no question left to evaluate; raise --limit")
    t1 = time.perf_counter()
    shots = _shots(spec, session, loaded, questions, letters, pool, evaluation)
    expression_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    curve = probe_curve(spec, session) if spec.probe else None
    probe_s = time.perf_counter() - t2
    k_opts = questions.n_options[evaluation]
    chance = float(np.mean(1.0 / k_opts))
    ns = range(1, spec.max_n + 1)
    guesser = cs.guesser_pass_at_n(k_opts, ns)
    layers = _layers(shots, curve)
    counts = {str(k): int(c) for k, c in zip(*np.unique(k_opts, return_counts=True))}
    block = {
        "n_questions": int(len(evaluation)), "n_pool": int(len(pool)), "chance": chance, "option_counts": counts,
        "n_options": [int(k) for k in k_opts], "answers": [int(a) for a in questions.answers[evaluation]],
        "letters": "".join(letters.letters), "letter_tokens": [list(t) for t in letters.tokens],
        "letter_format": LETTER_FORMAT, "text_format": TEXT_FORMAT, "text_norm": TEXT_NORM,
        "text_lens": bool(spec.text_lens), "guesser_pass_at_n": guesser,
        "guesser_maj_at_n": [{"n": n, "maj": v} for n, v in zip(ns, cs.guesser_maj_at_n(k_opts, ns))],
        "probe_per_question": None if curve is None else curve.per_question,
        "probe_chance": None if curve is None else curve.chance,
    }
    flat = dict(flat_spec(spec, samples, loaded.label, session.fingerprint(spec.model), None, len(evaluation)),
                answer_words=None, probe_run_key=None if curve is None else curve.key,
                n_questions=len(questions), option_counts=questions.option_counts, chance=chance)
    n_prompts = (len(evaluation) + int(k_opts.sum())) * len(spec.shots)
    zero = shots[0]
    return ExpressionResult(
        key=key, spec=flat, request=spec, created_ts=time.time(), layers=tuple(layers), shots=tuple(shots),
        pass_at_n=tuple({"n": n, "pass": v} for n, v in zip(ns, zero["pass_at_n"])),
        maj_at_n=tuple(zero["maj_at_n"]), summary=_summary(layers, shots, len(evaluation), chance, guesser),
        eval_indices=tuple(int(q) for q in evaluation), labels=(), multiple_choice=block,
        timing={"load_s": round(load_s, 3), "expression_s": round(expression_s, 3), "probe_s": round(probe_s, 3),
                "prompts_per_s": round(n_prompts / expression_s, 3) if expression_s > 0 else None},
        notes=tuple(_notes(spec, letters, curve, len(pool), len(evaluation), chance,
                           max(s["long_prompts"] for s in shots))))


__all__ = ["choice_result", "LETTER_FORMAT", "TEXT_FORMAT", "TEXT_NORM"]
