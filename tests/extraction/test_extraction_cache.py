"""extract_activations: cache keys, cache hits without a model, resume, corruption, locking."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError, Cancelled
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec
from concept_depth.datasets.sample_set import SampleSet
from concept_depth.extraction import activation_key, activations_from_key, extract_activations
from concept_depth.models import model_fingerprint
from concept_depth.storage.store import Store

SPEC = ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"))


class CountingLoader:
    """Wraps the session's tiny models; counts loads and how many prompts ran through the model."""

    def __init__(self, tiny_models):
        self.tiny_models = tiny_models
        self.loads = 0

    def __call__(self, model_spec):
        self.loads += 1
        return self.tiny_models(model_spec.source.split(":")[1], model_spec.quant)


def no_loader(model_spec):
    raise AssertionError("the model must not be loaded on a cache hit")


def test_key_changes_with_every_number_changing_field(make_samples, statements):
    samples = make_samples()
    fp = model_fingerprint(SPEC.model)
    base = activation_key(SPEC, samples, fp)
    variants = [
        (replace(SPEC, hook="post_attention_layernorm"), samples, fp),
        (replace(SPEC, pooling="mean"), samples, fp),
        (replace(SPEC, max_tokens=64), samples, fp),
        (replace(SPEC, model=ModelSpec(source="tiny:llama", quant=16)), samples, fp),
        (SPEC, samples, model_fingerprint(ModelSpec(source="tiny:gemma"))),
        (SPEC, samples, "hub:org/model@" + "0" * 40),
        (SPEC, make_samples(template="Is it true? {text}"), fp),
        (SPEC, make_samples(texts=statements[:-1] + ("yes",)), fp),
        (SPEC, make_samples(labels=[1 - i % 2 for i in range(len(statements))]), fp),
        (replace(SPEC, dataset=DatasetSpec(name="toy", noise=NoiseSpec("paper", seed=1))), samples, fp),
        (replace(SPEC, dataset=DatasetSpec(name="toy", prompt="Q: {text}")), samples, fp),
    ]
    keys = [activation_key(s, ss, f) for s, ss, f in variants]
    assert base not in keys and len(set(keys)) == len(keys)
    # nothing else: same spec and samples rebuilt from scratch give the same key
    assert activation_key(ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy")),
                          make_samples(), model_fingerprint(ModelSpec(source="tiny:llama"))) == base


def test_float32_and_8_bit_keys_are_those_made_before_low_bit_batching():
    """Batching low bit widths changed how 16- and 4-bit vectors are computed, so only their keys moved;
    float32 and 8-bit vectors are computed as before and a cached result must still be found (keys
    computed with the code before that change)."""
    samples = SampleSet(name="toy", category="factual", template="Statement: {text} Answer:", texts=("a", "b"),
                        labels=np.array([0, 1], dtype=np.int64), label_names=("false", "true"))

    def key(quant):
        spec = ExtractionSpec(model=ModelSpec(source="tiny:llama", quant=quant), dataset=DatasetSpec(name="toy"))
        return activation_key(spec, samples, "tiny:llama:seed0:v1")

    assert key(32) == "a89cd34db6b0d79c4d375b4a8" and key(8) == "ae298dff945d97576a9c67541"
    assert key(16) != "a15ca95e14fe0236a0260a8e3" and key(4) != "a0b135f62e250f04590472196"


def test_batch_size_and_device_do_not_change_the_key_and_hits_need_no_model(make_samples, tiny_models, store):
    samples = make_samples()
    first = extract_activations(SPEC, store=store, samples=samples, model_loader=CountingLoader(tiny_models),
                                batch_size=3, device="cpu")
    assert not first.cached and first.all().shape == (len(samples), 4, 64)
    assert first.layers == (0, 1, 2, 3) and first.n_layers == 3 and first.hidden_size == 64
    again = extract_activations(SPEC, store=store, samples=samples, model_loader=no_loader, batch_size=7,
                                device="cuda")
    assert again.cached and again.key == first.key
    np.testing.assert_array_equal(again.all(), first.all())
    np.testing.assert_array_equal(again.layer(2), first.layer(2))
    assert again.prompts == samples.prompts and list(again.labels) == list(samples.labels)
    assert again.model_label == "tiny random llama" and again.spec["model_fingerprint"].startswith("tiny:llama")
    opened = activations_from_key(store, first.key)
    np.testing.assert_array_equal(opened.layer(0), first.layer(0))
    with pytest.raises(BadInputError):
        opened.layer(99)


def test_batch_size_does_not_change_the_numbers(make_samples, tiny_models, tmp_path):
    samples = make_samples()
    a = extract_activations(SPEC, store=Store(tmp_path / "a"), samples=samples,
                            model_loader=CountingLoader(tiny_models), batch_size=1)
    b = extract_activations(SPEC, store=Store(tmp_path / "b"), samples=samples,
                            model_loader=CountingLoader(tiny_models), batch_size=10)
    assert a.key == b.key
    np.testing.assert_allclose(a.all(), b.all(), atol=2e-5)


def test_cancel_keeps_finished_batches_and_rerun_computes_only_the_rest(make_samples, tiny_models, store, tmp_path, monkeypatch):
    import concept_depth.extraction.extract as ex

    monkeypatch.setattr(ex, "CHUNK_SECONDS", 0.0)  # save after every batch
    samples = make_samples()
    seen = []

    def stop_midway(event):
        seen.append(event.done)
        return event.done == 0  # cancel after the first batch

    with pytest.raises(Cancelled):
        extract_activations(SPEC, store=store, samples=samples, model_loader=CountingLoader(tiny_models),
                            batch_size=1, progress=stop_midway)
    key = activation_key(SPEC, samples, model_fingerprint(SPEC.model))
    assert not store.has_activations(key)
    idx, feats = store.read_chunks(key)
    done = seen[-1]
    assert 0 < done < len(samples)
    assert len(idx) == done and feats.shape == (done, 4, 64)
    events = []
    resumed = extract_activations(SPEC, store=store, samples=samples, model_loader=CountingLoader(tiny_models),
                                  batch_size=2, progress=lambda e: events.append(e) or True)
    assert resumed.timing["computed"] == len(samples) - done
    assert events[0].done == done and events[-1].done == len(samples)
    assert store.read_chunks(key)[1] is None  # chunks cleared once complete
    fresh = extract_activations(SPEC, store=Store(tmp_path / "fresh"), samples=samples,
                                model_loader=CountingLoader(tiny_models), batch_size=2)
    # equal to float rounding (batch composition differs between the two runs)
    np.testing.assert_allclose(resumed.all(), fresh.all(), atol=1e-6, rtol=1e-5)


def test_corrupted_entry_is_detected_and_recomputed(make_samples, reference, tiny_models, store):
    samples = make_samples()
    first = extract_activations(SPEC, store=store, samples=samples, model_loader=CountingLoader(tiny_models))
    reference = first.all().copy()
    path = store.layer_path(first.key, 2)
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF  # one byte of the vectors (not the .npy header)
    path.write_bytes(bytes(blob))
    loader = CountingLoader(tiny_models)
    again = extract_activations(SPEC, store=store, samples=samples, model_loader=loader)
    assert loader.loads == 1 and not again.cached
    np.testing.assert_array_equal(again.all(), reference)
    assert store.verify(first.key)


def test_two_callers_of_one_key_compute_once(make_samples, tiny_models, store):
    import time

    samples = make_samples()
    counting = CountingLoader(tiny_models)

    def loader(model_spec):  # slow, so both callers surely miss the cache before either finishes
        time.sleep(0.5)
        return counting(model_spec)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(extract_activations(SPEC, store=Store(store.directory), samples=samples,
                                               model_loader=loader))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert counting.loads == 1
    assert sorted(r.cached for r in results) == [False, True]
    np.testing.assert_array_equal(results[0].all(), results[1].all())


def test_quantised_and_bfloat16_tiny_models_extract(make_samples, statements, tiny_models, store):
    samples = make_samples(texts=statements[:4])
    full = extract_activations(SPEC, store=store, samples=samples, model_loader=CountingLoader(tiny_models))
    for quant in (16, 8):
        spec = replace(SPEC, model=ModelSpec(source="tiny:llama", quant=quant))
        acts = extract_activations(spec, store=store, samples=samples, model_loader=CountingLoader(tiny_models))
        assert acts.key != full.key and acts.all().dtype == np.float32
        cos = (acts.layer(3) * full.layer(3)).sum(1) / np.linalg.norm(acts.layer(3), axis=1) / \
            np.linalg.norm(full.layer(3), axis=1)
        assert cos.min() > 0.9  # close to float32, not identical
        assert np.abs(acts.layer(3) - full.layer(3)).max() > 0
