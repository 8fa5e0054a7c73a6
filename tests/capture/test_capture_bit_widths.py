"""A prompt's vectors do not depend on the batch at any bit width (batch size 1 vs 16 vs shuffled)."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.capture import Capture, PooledLayers, layer_numbers, rows_depend_on_batch, run_all


def _extract(lm, ids, batch_size: int, order=None) -> np.ndarray:
    order = np.arange(len(ids)) if order is None else np.asarray(order)
    got = run_all(Capture(lm), [ids[i] for i in order],
                  PooledLayers("residual", layer_numbers(lm.n_layers, "residual"), "last"), batch_size=batch_size)
    out = np.empty_like(got)
    out[order] = got
    return out


def standardised_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per layer, the largest |a - b| in units of each dimension's SD over the samples. a, b: [N, K, D]."""
    sd = a.std(axis=0) + 1e-12
    return (np.abs(a - b) / sd).max(axis=(0, 2))


@pytest.mark.parametrize("quant", [16, 8, 4])
def test_low_bit_vectors_do_not_depend_on_batch_size_or_order(tiny_models, make_samples, quant):
    lm = tiny_models("llama", quant)
    assert rows_depend_on_batch(lm)
    ids, _, _ = Capture(lm).encode_samples(make_samples(), 512)
    alone = _extract(lm, ids, 1)
    shuffled = np.random.default_rng(0).permutation(len(ids))
    for other in (_extract(lm, ids, 16), _extract(lm, ids, 16, shuffled)):
        assert standardised_difference(alone, other).max() < 0.05


def test_float32_batches_stay_batched_and_within_tolerance(tiny_models, make_samples):
    lm = tiny_models("llama", 32)
    assert not rows_depend_on_batch(lm)
    ids, _, _ = Capture(lm).encode_samples(make_samples(), 512)
    assert standardised_difference(_extract(lm, ids, 1), _extract(lm, ids, 16)).max() < 0.05
