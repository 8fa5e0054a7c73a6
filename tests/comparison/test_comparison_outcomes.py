"""Per-sample outcomes in run results: packed compactly, validated, refitted for older runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from concept_depth.analyses.probe import RUN_KIND, attach_outcomes, layer_predictions, run_probe
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, ProbeSpec, RunSpec
from concept_depth.results.run import RunResult
from concept_depth.stats.outcomes import (
    EvalOutcomes,
    outcomes_from_predictions,
    pack_bits,
    run_outcomes,
    unconverged_layers,
    unpack_bits,
)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 160, 1003])
def test_bits_round_trip(n):
    bits = np.random.default_rng(n).random(n) < 0.5
    text = pack_bits(bits)
    assert len(text) <= 4 * ((n + 7) // 8 + 2) // 3 + 4  # base64 of n/8 bytes
    assert np.array_equal(unpack_bits(text, n), bits)


def test_bad_bits_are_one_clear_error():
    with pytest.raises(BadInputError, match="base64"):
        unpack_bits("not base64!!", 8)
    with pytest.raises(BadInputError, match="expected 20"):
        unpack_bits(pack_bits(np.ones(8, bool)), 20)


def test_outcomes_record_round_trip_and_rejects_inconsistent_ones():
    labels = np.array([0, 1, 1, 0, 1, 0, 1, 1, 0, 0])
    is_eval = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0], bool)
    pred = {0: np.array([0, 0, 1, 1, 0, 0, 0, 1, 1, 0]), 3: labels.copy()}
    out = outcomes_from_predictions(labels, [(l, p, is_eval) for l, p in pred.items()])
    assert out.n_eval == 6 and out.layers == [0, 3]
    assert out.accuracy(3) == 1.0 and out.accuracy(0) == pytest.approx(4 / 6)
    again = EvalOutcomes.from_dict(out.to_dict())
    assert np.array_equal(again.is_eval, is_eval) and np.array_equal(again.labels, labels[is_eval])
    assert all(np.array_equal(again.correct[l], out.correct[l]) for l in out.layers)
    bad = dict(out.to_dict(), n_eval=5)
    with pytest.raises(BadInputError):
        EvalOutcomes.from_dict(bad)
    with pytest.raises(BadInputError):
        EvalOutcomes.from_dict(dict(out.to_dict(), layers={"0": "AAAA"}))
    with pytest.raises(BadInputError):
        outcomes_from_predictions(labels, [(0, pred[0], is_eval), (1, pred[0], ~is_eval)])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from concept_depth.storage.store import Store

    store = Store(tmp_path_factory.mktemp("outcomes") / "cache")
    spec = RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama"),
                                             dataset=DatasetSpec(name="builtin-coinflip", limit=40)))
    return store, run_probe(spec, store=store, n_jobs=1)


def test_a_run_stores_which_held_out_samples_each_layer_got_right(tiny_run):
    store, run = tiny_run
    out = run_outcomes(run)
    assert out is not None and out.layers == run.layer_numbers and out.n_samples == 40
    assert out.n_eval == run.extra["n_eval"] == 16  # the 40% test split
    for score in run.layers:
        p = layer_predictions(store, run, score.layer)
        assert np.array_equal(p.is_eval, out.is_eval)
        assert np.array_equal(p.correct[p.is_eval], out.correct[score.layer])
        assert out.accuracy(score.layer) == pytest.approx(score.accuracy)  # paper: the same samples exactly
    assert isinstance(run.extra["layer_warnings"], dict)
    assert run.extra["run_spec"]["probe"]["protocol"] == "paper"


def test_results_with_outcomes_validate_and_old_results_still_load(tiny_run):
    _, run = tiny_run
    data = run.to_dict()
    again = RunResult.from_json(run.to_json())  # the schema accepts outcomes, warnings, run_spec
    assert run_outcomes(again) is not None
    old = {k: v for k, v in data.items() if k not in ("outcomes", "layer_warnings", "run_spec")}
    legacy = RunResult.from_json(__import__("json").dumps(old))
    assert run_outcomes(legacy) is None
    broken = dict(data, outcomes=dict(data["outcomes"], format="zip"))
    with pytest.raises(BadInputError, match="outcomes"):
        RunResult.from_json(__import__("json").dumps(broken))
    # a record the schema lets through but that does not decode is ignored, not an error
    odd = RunResult.from_dict(dict(data, outcomes=dict(data["outcomes"], eval="AAAA")))
    assert run_outcomes(odd) is None


def test_outcomes_of_an_older_run_are_refitted_and_stored(tiny_run):
    store, run = tiny_run
    old = replace(run, key=run.key, extra={k: v for k, v in run.extra.items() if k != "outcomes"})
    store.put_result(RUN_KIND, run.key, old.to_dict())
    updated = attach_outcomes(store, old)
    assert updated.extra["outcomes"] == run.extra["outcomes"]  # deterministic refit, same bits
    assert store.get_result(RUN_KIND, run.key)["outcomes"] == run.extra["outcomes"]
    assert attach_outcomes(store, updated) is updated  # nothing to do


def test_unconverged_layers_per_layer_or_unknown(make_run):
    run = make_run()
    assert unconverged_layers(run) == []
    per_layer = replace(run, extra={"layer_warnings": {"ConvergenceWarning": {"3": 1, "5": 2, "6": 0}}})
    assert unconverged_layers(per_layer) == [3, 5]
    older = replace(run, extra={"warnings": {"ConvergenceWarning": 12}})
    assert unconverged_layers(older) is None


def test_paper_protocol_records_convergence_warnings_per_layer(tmp_path):
    """Unscaled features whose scales span orders of magnitude (as a residual stream's do): lbfgs stops at
    max_iter on that layer, not on the well-scaled one, and the run says which."""
    from dataclasses import dataclass, field

    from concept_depth.analyses.probe import score_activations
    from concept_depth.analyses.protocol import Session
    from concept_depth.storage.store import Store

    rng = np.random.default_rng(0)
    n, d = 120, 40
    y = np.tile([0, 1], n // 2)
    feats = {0: rng.normal(size=(n, d)).astype(np.float32),
             1: (rng.normal(size=(n, d)) * np.logspace(-2, 3, d) + y[:, None] * 0.5).astype(np.float32)}

    @dataclass(frozen=True)
    class Acts:
        key: str = "anot-in-store"
        layers: tuple = (0, 1)
        labels: np.ndarray = field(default_factory=lambda: y)
        n_layers: int = 1
        hidden_size: int = d

        def layer(self, l):
            return feats[l]

    spec = RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama"),
                                             dataset=DatasetSpec(name="builtin-coinflip")),
                   probe=ProbeSpec(control=False))
    from concept_depth.datasets.sample_set import SampleSet

    samples = SampleSet(name="toy", category="factual", template="{text}", texts=tuple(map(str, range(n))), labels=y)
    result = score_activations(spec, Session(store=Store(tmp_path / "c"), n_jobs=1), samples, Acts(), "k")
    assert unconverged_layers(result) == [1]
    assert "fidelity" not in result.extra  # float32: nothing to compare with
