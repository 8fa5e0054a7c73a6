"""Fidelity of a bit width to float32: cosine and deviations in SDs of each dimension."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.stats.fidelity import bit_width_fidelity, layer_fidelity, run_fidelity


def _ref_with_sds(sds, n=8, seed=0):
    """[n, D] with each column's population SD exactly ``sds[d]`` (mean 0)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(sds)))
    z = (z - z.mean(0)) / z.std(0)
    return z * np.asarray(sds, dtype=float)


def test_deviations_are_in_units_of_each_dimensions_sd():
    sds = np.array([1.0, 10.0, 1000.0, 0.1])
    ref = _ref_with_sds(sds) + np.array([0.0, 0.0, 1e5, 0.0])  # one huge residual dimension, as in real models
    shift = np.array([0.5, 0.5, 0.5, 3.0])  # in SDs: column 3 moves most, in SD terms
    low = ref + shift * sds
    f = layer_fidelity(low, ref, layer=4)
    assert f.layer == 4 and f.constant_dims == 0
    assert f.max_sd == pytest.approx(3.0) and f.mean_sd == pytest.approx(shift.mean())
    # cosine hardly notices: the 1000-SD dimension dominates every vector's norm
    assert f.cosine_mean > 0.999 and f.cosine_min <= f.cosine_mean


def test_per_sample_deviation_max_and_mean():
    sds = np.array([2.0, 4.0])
    ref = _ref_with_sds(sds, n=4)
    low = ref.copy()
    low[1, 0] += 2 * 2.0  # 2 SD on one value
    f = layer_fidelity(low, ref)
    assert f.max_sd == pytest.approx(2.0) and f.mean_sd == pytest.approx(2.0 / 8)


def test_known_cosines_and_identity():
    ref = _ref_with_sds([1.0, 2.0, 3.0], n=6) + 5.0
    same = layer_fidelity(ref.copy(), ref)
    assert same.cosine_mean == pytest.approx(1.0) and same.max_sd == 0 and same.mean_sd == 0
    scaled = layer_fidelity(2 * ref, ref)  # same direction: cosine 1, but far in SD terms
    assert scaled.cosine_min == pytest.approx(1.0) and scaled.max_sd > 1
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = np.array([[1.0, 1.0], [0.0, 1.0]])
    f = layer_fidelity(b, a)
    assert f.cosine_min == pytest.approx(1 / np.sqrt(2)) and f.cosine_mean == pytest.approx((1 / np.sqrt(2) + 1) / 2)


def test_constant_dimensions_have_no_scale_and_are_left_out():
    ref = np.ones((5, 3))
    ref[:, 1] = np.arange(5)
    low = ref + np.array([0.3, 0.0, 0.7])
    f = layer_fidelity(low, ref)
    assert f.constant_dims == 2 and f.max_sd == 0.0
    all_constant = layer_fidelity(np.ones((4, 2)) * 1.1, np.ones((4, 2)))
    assert all_constant.max_sd is None and all_constant.mean_sd is None and all_constant.constant_dims == 2
    with pytest.raises(BadInputError):
        layer_fidelity(np.ones((3, 2)), np.ones((3, 4)))


def _write(store, key, feats, prompts, labels):
    store.write_layers(key, feats, [0, 1], {"labels": labels, "prompts": prompts, "spec": {}, "n_layers": 1})


def test_two_cached_activation_sets(store):
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(10, 2, 6)).astype(np.float32)
    low = ref + 0.01 * rng.normal(size=ref.shape).astype(np.float32)
    prompts, labels = [f"p{i}" for i in range(10)], [i % 2 for i in range(10)]
    _write(store, "aref", ref, prompts, labels)
    _write(store, "alow", low, prompts, labels)
    table = bit_width_fidelity(store, "alow", "aref")
    assert table["reference"] == "aref" and [r["layer"] for r in table["layers"]] == [0, 1]
    expect = layer_fidelity(low[:, 1], ref[:, 1], 1)
    assert table["layers"][1]["max_sd"] == pytest.approx(expect.max_sd)
    _write(store, "aother", low, [f"q{i}" for i in range(10)], labels)
    with pytest.raises(BadInputError, match="different prompts"):
        bit_width_fidelity(store, "aother", "aref")
    with pytest.raises(UnavailableError):
        bit_width_fidelity(store, "amissing", "aref")


def test_low_bit_run_stores_fidelity_when_float32_is_cached_else_on_demand(tmp_path):
    from concept_depth.analyses.probe import run_probe
    from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, RunSpec
    from concept_depth.stats.fidelity import FIDELITY_KIND
    from concept_depth.storage.store import Store

    store = Store(tmp_path / "cache")

    def spec(q, limit=20):
        return RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama", quant=q),
                                                 dataset=DatasetSpec(name="builtin-coinflip", limit=limit)))

    early16 = run_probe(spec(16), store=store, n_jobs=1)  # no float32 vectors yet
    assert "fidelity" not in early16.extra
    base = run_probe(spec(32), store=store, n_jobs=1)
    assert "fidelity" not in base.extra
    on_demand = run_fidelity(store, early16, base)
    assert on_demand["reference"] == base.extra["activation_key"]
    assert len(on_demand["layers"]) == len(base.layers)
    assert len(store.list_results(FIDELITY_KIND)) == 1  # kept, not computed twice
    assert run_fidelity(store, early16, base) == on_demand
    q16 = run_probe(spec(16, limit=22), store=store, n_jobs=1)  # other samples: no float32 of those
    assert "fidelity" not in q16.extra
    base42 = run_probe(spec(32, limit=22), store=store, n_jobs=1)
    store.delete_result("run", q16.key)
    again = run_probe(spec(16, limit=22), store=store, n_jobs=1)  # now float32 is cached: stored with it
    stored = again.extra["fidelity"]
    assert stored["reference"] == base42.extra["activation_key"]
    rows = {r["layer"]: r for r in stored["layers"]}
    assert all(0.99 < r["cosine_mean"] <= 1.0 for r in rows.values())
    assert max(r["max_sd"] or 0 for r in rows.values()) > 0  # bfloat16 moves something
    assert run_fidelity(store, again, base42) is stored
    assert run_fidelity(None, early16, None) is None  # nothing stored, nothing to compute with
