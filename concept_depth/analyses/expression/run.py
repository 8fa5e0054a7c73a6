"""Cognition versus expression (kind ``expression``): the model's own answers next to the probe.

Protocol (one ExpressionSpec), declared once as :data:`EXPRESSION`:

1. Load the samples; hold out a seeded, class-balanced pool of ``pool_size`` samples as
   few-shot examples. Every number below is measured on the *other* samples only.
2. For each k in ``shots``: prompt = k solved pool examples + the query (dataset format,
   ending in ``answer_cue``); one forward pass per batch reads the answer-token logits of
   the model itself and of the logit lens at every layer.
3. Zero-shot lens accuracy per layer sits next to the residual-stream probe accuracy per
   layer of the same model and dataset (the probe analysis, cached under kind ``run`` with origin
   ``expression``).
4. The result is cached under kind ``expression``; a rerun with the same key loads nothing.

A multiple-choice set (``samples.questions``) is read per question instead, by letter and by option
text, with a pool of held-out questions: :mod:`.choice_run`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...capture import Capture, sample_texts
from ...core.errors import BadInputError
from ...core.progress import ProgressTracker
from ...datasets import SampleSet
from ..protocol import Analysis, Session, run_analysis
from . import scoring
from .answer_words import AnswerTokens, resolve_answer_words
from .choice_run import choice_result
from .common import answer_words_of, flat_spec, probe_curve
from .fewshot import build_prompt, example_order, split_pool
from .report import report
from .result import ExpressionResult
from .scores import score_prompts
from .spec import RESULT_KIND, ExpressionSpec


def fit_texts(tokenizer: Any, samples: SampleSet, max_tokens: int, chat_template: bool = False) -> list[str]:
    """Sample texts cut exactly as extraction cuts them (prompt at most ``max_tokens`` tokens), so the
    probe and the answers see the same text."""
    return sample_texts(tokenizer, samples, max_tokens, chat_template=chat_template)


def _key(spec: ExpressionSpec, session: Session) -> str:
    samples = session.samples(spec.dataset)
    return spec.key(session.fingerprint(spec.model), samples.content_hash, answer_words_of(spec, samples),
                    multiple_choice=samples.is_multiple_choice)


def _shot_entry(k: int, scores, y: np.ndarray, n0: int, max_n: int, examples: np.ndarray) -> dict[str, Any]:
    """The numbers of one shot count: the model's own answer, pass@n, maj@n and the logit lens per layer."""
    p1 = scoring.two_way_p1(scores.final, n0)
    right = scoring.p_correct(p1, y)
    lens_p1 = scoring.two_way_p1(scores.lens, n0)  # [N, L+1]
    lens_acc, lens_pass1 = scoring.layer_accuracies(lens_p1, y)
    return {
        "k": int(k), "accuracy": scoring.answer_accuracy(p1, y), "pass1": float(right.mean()),
        "auc": scoring.answer_auc(p1, y), "predicted_class1": float(scoring.predictions(p1).mean()),
        "pass_at_n": scoring.pass_at_n(right, range(1, max_n + 1)), "maj_at_n": scoring.maj_table(right, max_n),
        "answer_mass": float(scoring.answer_mass(scores.final, scores.final_lse).mean()),
        "examples": [int(i) for i in examples], "lens_accuracy": lens_acc, "lens_pass1": lens_pass1,
        "lens_auc": [scoring.answer_auc(lens_p1[:, j], y) for j in range(lens_p1.shape[1])],
        "mean_tokens": float(scores.n_tokens.mean()), "p_class1": [round(float(v), 6) for v in p1],
    }


def _answers(spec: ExpressionSpec, session: Session, loaded, samples: SampleSet, answer: AnswerTokens,
             pool: np.ndarray, evaluation: np.ndarray) -> list[dict[str, Any]]:
    """One entry per shot count: k solved examples from the pool before each evaluated query."""
    cap = Capture(loaded)
    labels = np.asarray(samples.labels, dtype=np.int64)
    order = example_order(pool, labels, spec.seed) if len(pool) else pool
    texts = cap.tokenized(lambda tok: fit_texts(tok, samples, spec.max_tokens, spec.chat_template))
    tracker = ProgressTracker(session.progress, "expression", len(evaluation) * len(spec.shots))
    tracker.update(0)
    out = []
    for j, k in enumerate(spec.shots):
        examples = [(texts[i], answer.words[labels[i]]) for i in order[:k]]
        prompts = [build_prompt(samples.template, texts[i], examples, spec.answer_cue) for i in evaluation]
        base = j * len(evaluation)
        scores = score_prompts(loaded, prompts, answer.all_ids, batch_size=session.batch_size, capture=cap,
                               chat_template=spec.chat_template,
                               on_batch=lambda done, base=base: tracker.update(base + done))
        out.append(_shot_entry(k, scores, labels[evaluation], len(answer.ids[0]), spec.max_n, order[:k]))
    return out


def _compute(spec: ExpressionSpec, session: Session, key: str) -> ExpressionResult:
    samples = session.samples(spec.dataset)
    t0 = time.perf_counter()
    loaded = session.loader(spec.model)
    load_s = time.perf_counter() - t0
    if not getattr(loaded, "is_decoder", True):
        raise BadInputError(f"{loaded.label} is an encoder: it does not answer, so expression needs a causal "
                            "language model (e.g. the embedded Gemma)")
    if samples.questions is not None:
        return choice_result(spec, session, key, samples, loaded, load_s)
    answer = Capture(loaded).tokenized(lambda tok: resolve_answer_words(tok, answer_words_of(spec, samples)))
    labels = np.asarray(samples.labels, dtype=np.int64)
    pool, evaluation = split_pool(labels, spec.pool_size, spec.seed)
    if len(np.unique(labels[evaluation])) < 2:
        raise BadInputError("the evaluation samples hold only one class; raise --limit")
    t1 = time.perf_counter()
    shots = _answers(spec, session, loaded, samples, answer, pool, evaluation)
    expression_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    curve = probe_curve(spec, session) if spec.probe else None
    probe_acc, probe_key = (curve.accuracy, curve.key) if curve else ({}, None)
    probe_s = time.perf_counter() - t2
    zero = shots[0]
    layers = [{"layer": layer, "probe_accuracy": probe_acc.get(layer), "lens_accuracy": acc, "lens_pass1": p1,
               "lens_auc": auc, "gap": None if probe_acc.get(layer) is None else probe_acc[layer] - acc}
              for layer, (acc, p1, auc) in enumerate(zip(zero["lens_accuracy"], zero["lens_pass1"], zero["lens_auc"]))]
    flat = dict(flat_spec(spec, samples, loaded.label, session.fingerprint(spec.model), answer, len(evaluation)),
                probe_run_key=probe_key)
    n_prompts = len(evaluation) * len(spec.shots)
    return ExpressionResult(
        key=key, spec=flat, request=spec, created_ts=time.time(), layers=tuple(layers), shots=tuple(shots),
        pass_at_n=tuple({"n": n, "pass": v} for n, v in enumerate(zero["pass_at_n"], start=1)),
        maj_at_n=tuple(zero["maj_at_n"]), summary=_summary(layers, shots, len(evaluation)),
        eval_indices=tuple(int(i) for i in evaluation), labels=tuple(int(v) for v in labels[evaluation]),
        timing={"load_s": round(load_s, 3), "expression_s": round(expression_s, 3), "probe_s": round(probe_s, 3),
                "prompts_per_s": round(n_prompts / expression_s, 3) if expression_s > 0 else None},
        notes=tuple(_notes(spec, answer, len(pool), len(evaluation))))


def _notes(spec: ExpressionSpec, answer: AnswerTokens, n_pool: int, n_eval: int) -> list[str]:
    notes = list(answer.notes) + [
        f"{n_pool} samples held out as few-shot examples; all accuracies are on the other {n_eval}",
        "probe accuracy: residual stream, paper protocol (held-out 40% of all samples)" if spec.probe else
        "no probe run"]
    if spec.chat_template:
        notes.append("prompts wrapped as one user turn of the model's chat template (few-shot examples inside it); "
                     "the answer is the first token of the assistant's reply (answer words count with and without "
                     "a leading space)")
    return notes


def _summary(layers: list[dict], shots: list[dict], n_eval: int) -> dict[str, Any]:
    zero = shots[0]
    probes = [(r["probe_accuracy"], r["layer"]) for r in layers if r["probe_accuracy"] is not None]
    best_probe, best_probe_layer = max(probes, key=lambda t: (t[0], -t[1])) if probes else (None, None)
    lens = [(r["lens_accuracy"], r["layer"]) for r in layers]
    best_lens, best_lens_layer = max(lens, key=lambda t: (t[0], -t[1]))
    best_shot = max(shots, key=lambda s: (s["accuracy"], -s["k"]))
    return {
        "best_probe_accuracy": best_probe, "best_probe_layer": best_probe_layer,
        "final_answer_accuracy": zero["accuracy"], "final_pass1": zero["pass1"], "final_answer_auc": zero["auc"],
        "predicted_class1": zero["predicted_class1"],
        "gap": None if best_probe is None else best_probe - zero["accuracy"],
        "best_lens_accuracy": best_lens, "best_lens_layer": best_lens_layer,
        "best_shots": best_shot["k"], "best_shots_accuracy": best_shot["accuracy"],
        "gap_best_shots": None if best_probe is None else best_probe - best_shot["accuracy"],
        "answer_mass": zero["answer_mass"], "n_eval": n_eval,
    }


EXPRESSION: Analysis[ExpressionSpec, ExpressionResult] = Analysis(
    kind=RESULT_KIND, command="expression", spec=ExpressionSpec, result=ExpressionResult, key=_key,
    compute=_compute, report=report, options=ExpressionSpec.OPTIONS,
    help="the model's own answers (logit lens, few-shot, pass@n) against the probe",
    description="Cognition versus expression: read the model's answer from the next-token probabilities of the "
                "dataset's two answer words (multiple choice: of the option letters, and the option texts' "
                "length-normalised log-likelihood), at every layer (logit lens), with k solved examples and over "
                "n sampled answers, next to the probe accuracy per layer.",
    batch_size=8, figure="the probe against logit-lens accuracy per layer")


def run_expression(spec: ExpressionSpec, *, samples: SampleSet | None = None, **run_options: Any) -> ExpressionResult:
    """Measure what the model answers against what a probe reads, and cache the result.

    ``run_options``: the fields of :class:`~concept_depth.analyses.protocol.Session`; ``samples``: a ready
    SampleSet for ``spec.dataset``.

    Raises
    ------
    BadInputError : answer words the tokenizer cannot spell, too few samples, an encoder model.
    UnavailableError : model or dataset file not available here.
    """
    session = Session(**{"batch_size": EXPRESSION.batch_size, **run_options})
    if samples is not None:
        session.use_samples(spec.dataset, samples)
    return run_analysis(EXPRESSION, spec, session=session)


def list_expression_results(store) -> list[ExpressionResult]:
    """Every cached expression result, newest first (malformed entries are skipped)."""
    return EXPRESSION.list(store)


def load_expression(store, key: str) -> ExpressionResult | None:
    """The cached result under ``key``, or None."""
    return EXPRESSION.load(store, key)


__all__ = ["EXPRESSION", "run_expression", "list_expression_results", "load_expression", "fit_texts"]
