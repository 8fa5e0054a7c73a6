"""Direction stability: layer x layer cosine of probe directions, and settings against the reference."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.analyses import DIRECTIONS_SCHEMA, DirectionsResult, DirectionsSpec, run_directions
from concept_depth.core.specs import ExtractionSpec

directions_spec, extraction_spec = DirectionsSpec.from_options, ExtractionSpec.from_options
from concept_depth.core.errors import BadInputError
from concept_depth.extraction import extract_activations
from concept_depth.probing import paper_split


def _loader(tiny_models):
    return lambda spec: tiny_models(spec.source.split(":")[1], spec.quant)


def test_layer_by_layer_cosines_are_those_of_the_class_mean_differences(store, tiny_models):
    spec = directions_spec(model="tiny:llama", dataset="builtin-capitals", limit=40)
    result = run_directions(spec, store=store, model_loader=_loader(tiny_models))
    assert result.settings == ("32-bit · clean",) and result.spec["probe"] == "mass-mean"
    acts = extract_activations(extraction_spec(model="tiny:llama", dataset="builtin-capitals", limit=40), store=store,
                               model_loader=_loader(tiny_models))
    train, _ = paper_split(len(acts.labels))
    y = acts.labels[train]
    dirs = []
    for layer in acts.layers:
        X = acts.layer(layer)[train].astype(np.float64)
        d = X[y == 1].mean(0) - X[y == 0].mean(0)
        dirs.append(d / np.linalg.norm(d))
    want = np.array(dirs) @ np.array(dirs).T
    got = result.layer_matrix(0)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(np.diag(got), 1.0, atol=1e-5)
    assert np.abs(got - got.T).max() < 1e-6 and got.min() < 0.999  # not all ones: the check can fail
    assert result.chance_cosine == pytest.approx(np.sqrt(2 / (np.pi * acts.hidden_size)))
    assert np.asarray(result.setting_cosine).shape == (1, 1, len(acts.layers))
    fig = result.figure()
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), got)


def test_settings_are_compared_layer_by_layer_and_cross_applied(store, tiny_models):
    spec = directions_spec(model="tiny:gpt2", dataset="builtin-capitals", limit=40, noise="none,paper", probe="lr")
    result = run_directions(spec, store=store, model_loader=_loader(tiny_models))
    assert result.settings == ("32-bit · clean", "32-bit · paper noise (seed 0)")
    cos = np.asarray(result.setting_cosine)
    np.testing.assert_allclose(cos[0, 0], 1.0, atol=1e-5)
    np.testing.assert_allclose(cos[0, 1], cos[1, 0], atol=1e-6)
    assert np.abs(cos[0, 1]).max() <= 1.0 + 1e-6 and cos[0, 1].min() < 0.9999  # noise moved something
    cross, own = np.asarray(result.cross_accuracy), np.asarray(result.own_accuracy)
    np.testing.assert_allclose(own[0], cross[0, 0])
    np.testing.assert_allclose(own[1], cross[1, 1])
    assert DirectionsResult.from_json(result.to_json()).setting_cosine == result.setting_cosine
    assert result.to_dict()["schema"] == DIRECTIONS_SCHEMA
    again = run_directions(spec, store=store, model_loader=lambda s: pytest.fail("no model on a cache hit"))
    assert again.cached and again.key == result.key


def test_direction_specs_refuse_a_forest_and_mixed_datasets(tiny_models):
    with pytest.raises(BadInputError, match="linear probe"):
        directions_spec(dataset="cities", probe="rf")
    with pytest.raises(BadInputError, match="once"):
        directions_spec(dataset="cities", quant="32,32")
    from concept_depth.analyses import DirectionsSpec

    a = extraction_spec(dataset="cities")
    b = extraction_spec(dataset="common")
    with pytest.raises(BadInputError, match="only the bit width and the noise"):
        DirectionsSpec(extractions=(a, b))
