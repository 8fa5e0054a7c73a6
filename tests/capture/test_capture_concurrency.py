"""Threads sharing one loaded model (the app's browser sessions) get exactly their own numbers.

Four threads, one model object, twenty rounds each: extraction into a shared store (a new
spec every round), answer scoring, the full logit lens and mean-pooled capture on other
prompts. Every result equals the same call run alone, and every cached entry equals what
a serial run writes.
"""

from __future__ import annotations

import threading

import numpy as np

from concept_depth.analyses.expression import lens_distribution, score_prompts
from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec
from concept_depth.datasets import load_samples
from concept_depth.extraction import extract_activations
from concept_depth.storage.store import Store

ROUNDS = 20
SCORED = ["The city of Paris is in France. Answer:", "A coin is heads up. Is the coin", "This movie was terrible."]
LENSED = "Berlin is the capital of Germany. Is it true? Answer:"
POOLED = ["Water boils at one hundred degrees.", "The moon orbits the earth", "Hi", "Tokyo is in Spain."]


def _spec(round_: int) -> ExtractionSpec:
    noise = NoiseSpec(kind="paper", seed=round_)  # a new key every round: every round computes
    return ExtractionSpec(model=ModelSpec(source="tiny:llama"),
                          dataset=DatasetSpec(name="builtin-coinflip", limit=12, noise=noise))


def test_four_threads_on_one_model_get_their_own_numbers_and_cache_what_a_serial_run_caches(tiny_models, tmp_path):
    lm = tiny_models("llama")
    loader = lambda _spec: lm  # noqa: E731 - every thread shares this one object
    answer_ids = [5, 9, 17, 33]
    pooled_reader = lambda: PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "mean")  # noqa: E731

    # each call alone first
    alone_scores = score_prompts(lm, SCORED, answer_ids, batch_size=2)
    alone_lens = lens_distribution(lm, LENSED)[0].numpy()
    cap = Capture(lm)
    alone_pooled = run_all(cap, cap.encode(POOLED), pooled_reader(), batch_size=3)

    shared = Store(tmp_path / "threaded")
    errors: list[BaseException] = []
    got: dict[str, list] = {"extract": [], "score": [], "lens": [], "pool": []}

    def extractor():
        for r in range(ROUNDS):
            spec = _spec(r)
            samples = load_samples(spec.dataset)
            got["extract"].append((r, extract_activations(spec, store=shared, samples=samples, model_loader=loader,
                                                          batch_size=5).key))

    def scorer():
        for _ in range(ROUNDS):
            got["score"].append(score_prompts(lm, SCORED, answer_ids, batch_size=2))

    def lenser():
        for _ in range(ROUNDS):
            got["lens"].append(lens_distribution(lm, LENSED)[0].numpy())

    def pooler():
        for _ in range(ROUNDS):
            c = Capture(lm)
            got["pool"].append(run_all(c, c.encode(POOLED), pooled_reader(), batch_size=3))

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(f)) for f in (extractor, scorer, lenser, pooler)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    assert all(len(v) == ROUNDS for v in got.values())

    for scores in got["score"]:  # identical probabilities
        np.testing.assert_array_equal(scores.final, alone_scores.final)
        np.testing.assert_array_equal(scores.lens, alone_scores.lens)
    for lens in got["lens"]:
        np.testing.assert_array_equal(lens, alone_lens)
    for pooled in got["pool"]:
        cos = (pooled * alone_pooled).sum(-1) / np.linalg.norm(pooled, axis=-1) / np.linalg.norm(alone_pooled, axis=-1)
        assert cos.min() >= 0.9999

    serial = Store(tmp_path / "serial")
    for r, key in got["extract"]:
        spec = _spec(r)
        ref = extract_activations(spec, store=serial, samples=load_samples(spec.dataset), model_loader=loader,
                                  batch_size=5)
        assert ref.key == key
        stored = shared.read_all(key)
        expected = ref.all()
        cos = (stored * expected).sum(-1) / np.linalg.norm(stored, axis=-1) / np.linalg.norm(expected, axis=-1)
        assert cos.min() >= 0.9999, (r, cos.min())
