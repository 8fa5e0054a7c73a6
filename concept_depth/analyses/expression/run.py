"""``run_expression``: the model's own answers (per layer, per shot count, pass@n) next to the probe.

Protocol (one ExpressionSpec):

1. Load the samples; hold out a seeded, class-balanced pool of ``pool_size`` samples as
   few-shot examples. Every number below is measured on the *other* samples only.
2. For each k in ``shots``: prompt = k solved pool examples + the query (dataset format,
   ending in ``answer_cue``); one forward pass per batch reads the answer-token logits of
   the model itself and of the logit lens at every layer.
3. Zero-shot lens accuracy per layer sits next to the residual-stream probe accuracy per
   layer of the same model and dataset (``run_probe``, cached under kind ``run``).
4. The result is cached under kind ``expression``; a rerun with the same key loads nothing.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from ...capture import Capture, sample_texts
from ...core.errors import BadInputError
from ...core.progress import ProgressCallback, ProgressTracker
from ...core.specs import ExtractionSpec, RunSpec
from ...datasets import load_samples
from ...extraction.keys import fingerprint_for
from ...models.loader import cached_loader
from ...storage.store import Store
from ..probe import run_probe
from . import scoring
from .answer_words import AnswerTokens, resolve_answer_words
from .fewshot import build_prompt, example_order, split_pool
from .result import ExpressionResult, load_expression
from .scores import score_prompts
from .spec import RESULT_KIND, ExpressionSpec


def fit_texts(tokenizer: Any, samples, max_tokens: int, chat_template: bool = False) -> list[str]:
    """Sample texts cut exactly as extraction cuts them (prompt at most ``max_tokens`` tokens).

    Uses the extraction's own truncation, so the probe and the answers see the same text.
    """

    return sample_texts(tokenizer, samples, max_tokens, chat_template=chat_template)


def _flat_spec(spec: ExpressionSpec, samples, loaded_label: str, fingerprint: str,
               answer: AnswerTokens | None, n_eval: int) -> dict[str, Any]:
    ds, model = spec.dataset, spec.model
    return {
        "model": model.source, "model_label": loaded_label, "model_fingerprint": fingerprint,
        "model_revision": model.revision, "quant": model.quant,
        "dataset": samples.name, "category": samples.category, "dataset_hash": samples.content_hash,
        "limit": ds.limit, "variant": ds.variant, "prompt": samples.template,
        "noise": ds.noise.kind, "noise_strength": ds.noise.strength, "noise_seed": ds.noise.seed,
        "shots": list(spec.shots), "seed": spec.seed, "pool_size": spec.pool_size, "max_n": spec.max_n,
        "max_tokens": spec.max_tokens, "answer_cue": spec.answer_cue,
        "answer_words": list(answer.words if answer else (spec.answer_words or samples.answer_words)),
        "answer_tokens": [list(t) for t in answer.tokens] if answer else None,
        "answer_fallback": list(answer.fallback) if answer else None,
        "hook": "residual", "n_samples": len(samples), "n_eval": n_eval,
        "chat_template": bool(spec.chat_template),
    }


def _probe_accuracies(spec: ExpressionSpec, store: Store, samples, loaded, batch_size: int,
                      device, progress) -> tuple[dict[int, float], str | None]:
    """Residual-stream probe accuracy per layer (paper protocol), via the cached probe pipeline."""

    run_spec = RunSpec(extraction=ExtractionSpec(model=spec.model, dataset=spec.dataset, hook="residual",
                                                 pooling="last", max_tokens=spec.max_tokens,
                                                 chat_template=spec.chat_template))
    result = run_probe(run_spec, store=store, model_loader=lambda _spec: loaded, batch_size=batch_size,
                       device=device, progress=progress, samples=samples, origin="expression")
    return {s.layer: float(s.accuracy) for s in result.layers}, result.key


def run_expression(spec: ExpressionSpec, *, store: Store | None = None, samples=None,
                   model_loader: Callable[[Any], Any] | None = None, batch_size: int = 8,
                   device: str | None = None, progress: ProgressCallback | None = None,
                   data_dir=None) -> ExpressionResult:
    """Measure what the model answers against what a probe reads, and cache the result.

    Parameters
    ----------
    spec : model, dataset, shots, seed, answer words, cue, pool size, pass@n range.
    store : cache (default ``Store()``).
    samples : a ready SampleSet (otherwise ``load_samples(spec.dataset)``).
    model_loader : ModelSpec -> LoadedModel (default ``load_model``); tests pass tiny models.
    batch_size, device : run options (do not change the numbers).
    progress : callback for stages ``load``, ``expression``, ``extract``, ``probe``; False cancels.
    data_dir : dataset directory (default ``$CONCEPT_DEPTH_DATA_DIR``).

    Raises
    ------
    BadInputError : answer words the tokenizer cannot spell, too few samples, an encoder model.
    UnavailableError : model or dataset file not available here.
    """

    store = store or Store()
    if samples is None:
        samples = load_samples(spec.dataset, data_dir=data_dir, cache_dir=store.directory)
    words = spec.answer_words or tuple(samples.answer_words)
    fingerprint = fingerprint_for(spec.model, store.directory)
    key = spec.key(fingerprint, samples.content_hash, words)

    def compute() -> ExpressionResult:
        loader = model_loader or cached_loader(store.directory, device, progress)
        t0 = time.perf_counter()
        loaded = loader(spec.model)
        load_s = time.perf_counter() - t0
        result = _compute(spec, store, samples, loaded, words, fingerprint, key, batch_size, device, progress)
        return replace(result, timing=dict(result.timing, load_s=round(load_s, 3)))

    result, _ = store.memoize(RESULT_KIND, key, compute, read=lambda: load_expression(store, key),
                              write=lambda r: store.put_result(RESULT_KIND, key, r.to_dict()))
    return result


def _compute(spec: ExpressionSpec, store: Store, samples, loaded, words, fingerprint: str, key: str,
             batch_size: int, device, progress) -> ExpressionResult:
    if not getattr(loaded, "is_decoder", True):
        raise BadInputError(f"{loaded.label} is an encoder: it does not answer, so expression needs a causal "
                            "language model (e.g. the embedded Gemma)")
    cap = Capture(loaded)
    answer = cap.tokenized(lambda tok: resolve_answer_words(tok, words))
    labels = np.asarray(samples.labels, dtype=np.int64)
    pool, evaluation = split_pool(labels, spec.pool_size, spec.seed)
    if len(np.unique(labels[evaluation])) < 2:
        raise BadInputError("the evaluation samples hold only one class; raise --limit")
    order = example_order(pool, labels, spec.seed) if len(pool) else pool
    texts = cap.tokenized(lambda tok: fit_texts(tok, samples, spec.max_tokens, spec.chat_template))
    y = labels[evaluation]
    n0 = len(answer.ids[0])
    tracker = ProgressTracker(progress, "expression", len(evaluation) * len(spec.shots))
    tracker.update(0)
    t0 = time.perf_counter()
    shots_out = []
    for j, k in enumerate(spec.shots):
        examples = [(texts[i], answer.words[labels[i]]) for i in order[:k]]
        prompts = [build_prompt(samples.template, texts[i], examples, spec.answer_cue) for i in evaluation]
        base = j * len(evaluation)
        scores = score_prompts(loaded, prompts, answer.all_ids, batch_size=batch_size, capture=cap,
                               chat_template=spec.chat_template,
                               on_batch=lambda done, base=base: tracker.update(base + done))
        p1 = scoring.two_way_p1(scores.final, n0)
        right = scoring.p_correct(p1, y)
        lens_p1 = scoring.two_way_p1(scores.lens, n0)  # [N, L+1]
        lens_acc, lens_pass1 = scoring.layer_accuracies(lens_p1, y)
        shots_out.append({
            "k": int(k), "accuracy": scoring.answer_accuracy(p1, y), "pass1": float(right.mean()),
            "auc": scoring.answer_auc(p1, y), "predicted_class1": float(scoring.predictions(p1).mean()),
            "pass_at_n": scoring.pass_at_n(right, range(1, spec.max_n + 1)),
            "maj_at_n": scoring.maj_table(right, spec.max_n),
            "answer_mass": float(scoring.answer_mass(scores.final, scores.final_lse).mean()),
            "examples": [int(i) for i in order[:k]], "lens_accuracy": lens_acc, "lens_pass1": lens_pass1,
            "lens_auc": [scoring.answer_auc(lens_p1[:, j], y) for j in range(lens_p1.shape[1])],
            "mean_tokens": float(scores.n_tokens.mean()),
            "p_class1": [round(float(v), 6) for v in p1],
        })
    expression_s = time.perf_counter() - t0

    probe_acc: dict[int, float] = {}
    probe_key = None
    t1 = time.perf_counter()
    if spec.probe:
        probe_acc, probe_key = _probe_accuracies(spec, store, samples, loaded, batch_size, device, progress)
    probe_s = time.perf_counter() - t1
    zero = shots_out[0]
    layers = []
    for layer, (acc, p1, auc) in enumerate(zip(zero["lens_accuracy"], zero["lens_pass1"], zero["lens_auc"])):
        probe = probe_acc.get(layer)
        layers.append({"layer": layer, "probe_accuracy": probe, "lens_accuracy": acc, "lens_pass1": p1,
                       "lens_auc": auc, "gap": None if probe is None else probe - acc})
    summary = _summary(layers, shots_out, len(evaluation))
    flat = _flat_spec(spec, samples, loaded.label, fingerprint, answer, len(evaluation))
    flat["probe_run_key"] = probe_key
    notes = list(answer.notes) + [
        f"{len(pool)} samples held out as few-shot examples; all accuracies are on the other {len(evaluation)}",
        "probe accuracy: residual stream, paper protocol (held-out 40% of all samples)" if spec.probe else
        "no probe run",
    ] + (["prompts wrapped as one user turn of the model's chat template (few-shot examples inside it); the "
          "answer is the first token of the assistant's reply (answer words count with and without a leading "
          "space)"]
         if spec.chat_template else [])
    n_prompts = len(evaluation) * len(spec.shots)
    return ExpressionResult(
        key=key, spec=flat, created_ts=time.time(), layers=tuple(layers), shots=tuple(shots_out),
        pass_at_n=tuple({"n": n, "pass": v} for n, v in enumerate(zero["pass_at_n"], start=1)),
        maj_at_n=tuple(zero["maj_at_n"]),
        summary=summary, eval_indices=tuple(int(i) for i in evaluation), labels=tuple(int(v) for v in y),
        timing={"expression_s": round(expression_s, 3), "probe_s": round(probe_s, 3),
                "prompts_per_s": round(n_prompts / expression_s, 3) if expression_s > 0 else None},
        notes=tuple(notes),
    )


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
