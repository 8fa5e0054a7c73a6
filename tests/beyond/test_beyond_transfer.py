"""Transfer: train at layer l on A, test on B; the diagonal is the ordinary probe, everything cached by spec."""

from __future__ import annotations

import json

import numpy as np
import pytest

from concept_depth.analyses import TRANSFER_SCHEMA, TransferResult, TransferSpec, list_transfer_results, run_transfer
from concept_depth.core.specs import RunSpec

run_spec, transfer_spec = RunSpec.from_options, TransferSpec.from_options
from concept_depth.analyses.probe import run_probe
from concept_depth.core.errors import BadInputError

DATASETS = "builtin-capitals,builtin-coinflip"


def _loader(tiny_models, calls=None):
    def load(spec):
        if calls is not None:
            calls.append(spec)
        return tiny_models(spec.source.split(":")[1], spec.quant)
    return load


@pytest.mark.parametrize("probe", ["lr", "mass-mean"])
def test_the_diagonal_is_the_ordinary_probe_and_off_diagonal_tests_on_the_other_dataset(store, tiny_models, probe):
    spec = transfer_spec(model="tiny:llama", dataset=DATASETS, limit=40, probe=probe)
    result = run_transfer(spec, store=store, model_loader=_loader(tiny_models))
    assert result.datasets == ("builtin-capitals", "builtin-coinflip") and not result.cached
    assert result.layers == tuple(range(tiny_models("llama").n_layers + 1))
    assert np.asarray(result.accuracy).shape == (len(result.layers), 2, 2)
    assert result.spec["probe"] == probe and result.spec["probe_name"] in result.notes[0]
    assert result.n_train == [24, 24] and result.n_test == [16, 16]
    for a, name in enumerate(result.datasets):
        run = run_probe(run_spec(model="tiny:llama", dataset=name, limit=40, probe=probe, no_control=True),
                        store=store, model_loader=_loader(tiny_models))
        assert result.curve(name, name) == pytest.approx([s.accuracy for s in run.layers], abs=1e-12)
        assert result.matrix(0)[a, a] == pytest.approx(run.layers[0].accuracy)
    best = result.summary["best"]["builtin-capitals->builtin-coinflip"]
    assert best["accuracy"] == max(result.curve("builtin-capitals", "builtin-coinflip"))
    assert len(result.summary["mean_transfer"]) == len(result.layers)


def test_a_cached_transfer_loads_no_model_and_round_trips_as_json(store, tiny_models, tmp_path):
    spec = transfer_spec(model="tiny:gpt2", dataset=DATASETS, limit=24)
    first = run_transfer(spec, store=store, model_loader=_loader(tiny_models))
    calls = []
    again = run_transfer(spec, store=store, model_loader=_loader(tiny_models, calls))
    assert again.cached and calls == [] and again.key == first.key
    data = json.loads(first.to_json())
    assert data["schema"] == TRANSFER_SCHEMA and "cached" not in data
    (tmp_path / "t.json").write_text(first.to_json())
    loaded = TransferResult.load(tmp_path / "t.json")
    assert loaded.accuracy == first.accuracy and loaded.datasets == first.datasets
    assert [r.key for r in list_transfer_results(store)] == [first.key]
    with pytest.raises(BadInputError, match="not a transfer result"):
        TransferResult.from_dict({"schema": "concept-depth/result@1"})
    other = run_transfer(transfer_spec(model="tiny:gpt2", dataset=DATASETS, limit=24, probe="mass-mean"),
                         store=store, model_loader=_loader(tiny_models))
    assert other.key != first.key  # the probe is part of the key


def test_transfer_specs_refuse_what_cannot_be_compared():
    with pytest.raises(BadInputError, match="at least one value"):
        transfer_spec(dataset="")
    with pytest.raises(BadInputError, match="once"):
        transfer_spec(dataset="cities,Cities")
    with pytest.raises(BadInputError, match="not --dataset-file"):
        transfer_spec(dataset="cities", dataset_file="x.csv")
    with pytest.raises(BadInputError, match="unknown probe"):
        transfer_spec(dataset="cities", probe="svm")
    a = transfer_spec(model="tiny:llama", dataset="cities").extractions[0]
    b = transfer_spec(model="tiny:gpt2", dataset="common").extractions[0]
    with pytest.raises(BadInputError, match="one model"):
        TransferSpec(extractions=(a, b))


def test_matrix_and_figure_of_one_layer(store, tiny_models):
    result = run_transfer(transfer_spec(model="tiny:llama", dataset=DATASETS, limit=24), store=store,
                          model_loader=_loader(tiny_models))
    fig = result.figure(layer=1)
    assert fig.data[0].meta["layer"] == 1
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), result.matrix(1))
    with pytest.raises(BadInputError, match="layer 99"):
        result.matrix(99)
