"""Low bit widths batch, and a prompt's vectors do not depend on the batch (size 1 vs 16 vs shuffled).

Not "within tolerance": the vectors must be identical. At 8 bits they are also identical to
one prompt at a time, outlier columns included (forced here with a low outlier threshold,
since a tiny random model has no activation above bitsandbytes' default of 6).
"""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.capture import Capture, PooledLayers, layer_numbers, rows_depend_on_batch, run_all
from concept_depth.capture.invariant import ROW_BLOCK, int8_layers
from concept_depth.core.specs import ModelSpec
from concept_depth.models import load_model

TEXTS = tuple(f"{w} is a word with {'many ' * (i % 9)}letters" for i, w in enumerate(
    "Paris Tokyo Berlin Madrid water coin movie moon dog cat river stone tree house sky bread".split() * 3))


def _extract(lm, ids, batch_size: int, order=None, mode: str | None = None) -> np.ndarray:
    order = np.arange(len(ids)) if order is None else np.asarray(order)
    got = run_all(Capture(lm, mode=mode), [ids[i] for i in order],
                  PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last"), batch_size=batch_size)
    out = np.empty_like(got)
    out[order] = got
    return out


def standardised_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per layer, the largest |a - b| in units of each dimension's SD over the samples. a, b: [N, K, D]."""
    sd = a.std(axis=0) + 1e-12
    return (np.abs(a - b) / sd).max(axis=(0, 2))


def _ids(lm, make_samples):
    ids, _, _ = Capture(lm).encode_samples(make_samples(texts=TEXTS, labels=[i % 2 for i in range(len(TEXTS))]), 512)
    assert sum(len(x) for x in ids) > 2 * ROW_BLOCK  # batches of 16 span several matrix-product blocks
    return ids


@pytest.mark.parametrize("arch", ["llama", "gemma"])
@pytest.mark.parametrize("quant", [16, 8, 4])
def test_low_bit_batches_give_every_prompt_identical_vectors(tiny_models, make_samples, quant, arch):
    lm = tiny_models(arch, quant)
    assert rows_depend_on_batch(lm) and Capture(lm).mode == "rows"  # batched, not one at a time
    ids = _ids(lm, make_samples)
    alone = _extract(lm, ids, 1)
    shuffled = np.random.default_rng(0).permutation(len(ids))
    for other in (_extract(lm, ids, 16), _extract(lm, ids, 16, shuffled), _extract(lm, ids, 5, shuffled[::-1])):
        np.testing.assert_array_equal(alone, other)


def test_int8_outlier_columns_are_picked_per_prompt(make_samples, tmp_path):
    lm = load_model(ModelSpec(source="tiny:llama", quant=8), device="cpu", cache_dir=tmp_path)
    layers = int8_layers(lm.model)
    assert layers
    for m in layers:
        m.state.threshold = 0.05  # outliers in every prompt, a different set in each
    ids = _ids(lm, make_samples)
    one_at_a_time = _extract(lm, ids, 1, mode="alone")
    shared_columns = _extract(lm, ids, 16, mode="batched")  # bitsandbytes' own batched path
    assert standardised_difference(one_at_a_time, shared_columns).max() > 0.05
    np.testing.assert_array_equal(one_at_a_time, _extract(lm, ids, 16))
    np.testing.assert_array_equal(one_at_a_time, _extract(lm, ids, 16, np.arange(len(ids))[::-1]))


@pytest.mark.parametrize("quant", [16, 8])
def test_fixed_shapes_are_invariant_too(tiny_models, make_samples, quant):
    """Mode ``shapes`` (what a GPU uses) on the CPU: rows x length-bucket batches, whatever the neighbours."""
    lm = tiny_models("gemma", quant)
    ids = _ids(lm, make_samples)
    alone = _extract(lm, ids, 1, mode="shapes")
    shuffled = np.random.default_rng(1).permutation(len(ids))
    np.testing.assert_array_equal(alone, _extract(lm, ids, 16, shuffled, mode="shapes"))


def test_float32_batches_stay_batched_and_within_tolerance(tiny_models, make_samples):
    lm = tiny_models("llama", 32)
    assert not rows_depend_on_batch(lm) and Capture(lm).mode == "batched"
    ids = _ids(lm, make_samples)
    assert standardised_difference(_extract(lm, ids, 1), _extract(lm, ids, 16)).max() < 0.05
