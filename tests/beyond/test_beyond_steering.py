"""Steering: the numbers equal a plain forward with a hand-written hook; the random control; the cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.analyses import STEER_SCHEMA, SteeringResult, SteerSpec, list_steering_results, run_steer
from concept_depth.core.specs import DatasetSpec, ExtractionSpec

dataset_spec, extraction_spec, steer_spec = DatasetSpec.from_options, ExtractionSpec.from_options, SteerSpec.from_options
from concept_depth.core.errors import BadInputError
from concept_depth.datasets import load_samples
from concept_depth.models import architectures as A
from concept_depth.probing import paper_split

ARGS = dict(model="tiny:gpt2", dataset="builtin-capitals", limit=40)


def _loader(tiny_models):
    return lambda spec: tiny_models(spec.source.split(":")[1], spec.quant)


def _p1(model, tok, prompt, ids, layer=None, vec=None):
    """p(class 1) from one plain forward, with ``vec`` added to the last token after block ``layer``."""
    handle = None
    if layer is not None:
        def add(_m, _a, out):
            h = (out[0] if isinstance(out, tuple) else out).clone()
            h[:, -1] += vec
            return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h
        handle = A.decoder_layers(model)[layer - 1].register_forward_hook(add)
    try:
        with torch.no_grad():
            logits = model(**tok(prompt, return_tensors="pt")).logits[0, -1].double()
    finally:
        if handle:
            handle.remove()
    p = torch.softmax(logits, -1)
    p0, p1 = p[ids[0]].sum(), p[ids[1]].sum()
    return float(p1 / (p0 + p1))


def test_steering_equals_a_plain_forward_with_a_hook(store, tiny_models, reference):
    spec = steer_spec(alpha="-3,2", layers="1,3", **ARGS)
    result = run_steer(spec, store=store, model_loader=_loader(tiny_models))
    lm = tiny_models("gpt2")
    samples = load_samples(dataset_spec(dataset="builtin-capitals", limit=40))
    prompts = [p + "\nAnswer:" for p in samples.prompts]
    H = reference(lm, prompts, "residual", "last").astype(np.float64)  # [N, L+1, D], no capture core involved
    y = samples.labels
    train, test = paper_split(len(y))
    ids = result.answer["ids"]
    base = np.array([_p1(lm.model, lm.tokenizer, prompts[i], ids) for i in test])
    assert result.baseline["p1_mean"] == pytest.approx(base.mean(), abs=1e-5)
    assert result.baseline["p1_class1"] == pytest.approx(base[y[test] == 1].mean(), abs=1e-5)
    for li, layer in enumerate(result.layers):
        X = H[train, layer]
        d = X[y[train] == 1].mean(0) - X[y[train] == 0].mean(0)
        norm = np.median(np.linalg.norm(X - X.mean(0), axis=1))  # the default unit: centered
        assert result.norms[li] == result.centered_norms[li] == pytest.approx(norm, rel=1e-4)
        assert result.raw_norms[li] == pytest.approx(np.median(np.linalg.norm(X, axis=1)), rel=1e-4)
        rnd = np.random.default_rng([0, layer]).standard_normal(H.shape[2])
        for ai, alpha in enumerate(result.alphas):
            for direction, v in (("probe", d), ("random", rnd)):
                vec = torch.tensor(alpha * norm * v / np.linalg.norm(v), dtype=torch.float32)
                p = np.array([_p1(lm.model, lm.tokenizer, prompts[i], ids, layer, vec) for i in test])
                delta = p - base
                got = result.effects[direction]
                assert got["delta_all"][li][ai] == pytest.approx(delta.mean(), abs=1e-4), (direction, layer, alpha)
                assert got["delta_class1"][li][ai] == pytest.approx(delta[y[test] == 1].mean(), abs=1e-4)
                assert got["flipped"][li][ai] == pytest.approx(np.mean((p > 0.5) != (base > 0.5)))
    assert np.abs(result.effect("probe", "delta_all")).max() > 1e-3  # the push does something: the check can fail


def test_result_fields_summary_cache_and_json(store, tiny_models):
    spec = steer_spec(alpha=(-2, 2), layers=(0, 2), **ARGS)
    result = run_steer(spec, store=store, model_loader=_loader(tiny_models))
    assert result.layers == (0, 2) and result.alphas == (-2.0, 2.0) and result.spec["probe"] == "mass-mean"
    for direction in ("probe", "random"):
        for metric in ("delta_all", "delta_class1", "delta_class0", "delta_class1_sem", "accuracy", "flipped"):
            assert result.effect(direction, metric).shape == (2, 2)
    excess = np.asarray(result.excess["class1"]["mean"])
    np.testing.assert_allclose(excess, result.effect("probe", "delta_class1") - result.effect("random", "delta_class1"),
                               atol=1e-9)
    best = result.summary["best"]
    assert abs(best["excess_class1"]) == pytest.approx(np.abs(excess).max())
    assert best["probe_delta_class1"] - best["random_delta_class1"] == pytest.approx(best["excess_class1"])
    assert best["layer"] in result.layers and best["alpha"] in result.alphas
    assert all(abs(c) < 0.7 for c in result.random_cosine)
    assert result.to_dict()["schema"] == STEER_SCHEMA
    assert SteeringResult.from_json(result.to_json()).effects == result.effects
    again = run_steer(spec, store=store, model_loader=lambda s: pytest.fail("no model on a cache hit"))
    assert again.cached and again.key == result.key
    assert [r.key for r in list_steering_results(store)] == [result.key]
    moved = run_steer(steer_spec(alpha=(-2, 2), layers=(0, 2), random_seed=1, **ARGS), store=store,
                      model_loader=_loader(tiny_models))
    assert moved.key != result.key and moved.effects["probe"] == result.effects["probe"]
    assert moved.effects["random"] != result.effects["random"]
    raw = run_steer(steer_spec(alpha=(-2, 2), layers=(0, 2), norm="raw", **ARGS), store=store,
                    model_loader=_loader(tiny_models))
    assert raw.key != result.key and raw.norms == raw.raw_norms and raw.spec["norm"] == "raw"
    assert raw.effects["probe"] != result.effects["probe"]


def test_steering_refuses_what_it_cannot_do(store, tiny_models):
    with pytest.raises(BadInputError, match="residual stream"):
        SteerSpec(extraction=extraction_spec(dataset="cities", hook="mlp_out"))
    with pytest.raises(BadInputError, match="linear probe"):
        steer_spec(dataset="cities", probe="rf")
    with pytest.raises(BadInputError, match="--alpha must be"):
        steer_spec(dataset="cities", alpha="a,b")
    with pytest.raises(BadInputError, match="unknown norm"):
        steer_spec(dataset="cities", norm="l2")
    with pytest.raises(BadInputError, match="finite alpha"):
        steer_spec(dataset="cities", alpha="nan")
    with pytest.raises(BadInputError, match="no residual layer 9"):
        run_steer(steer_spec(layers="1,9", **ARGS), store=store, model_loader=_loader(tiny_models))
