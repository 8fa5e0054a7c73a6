"""compare_pair: paired or why not, the convergence note, and the same runs under cv."""

from __future__ import annotations

from dataclasses import replace

import pytest

from concept_depth.analyses.probe import run_probe
from concept_depth.core.errors import BadInputError
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec, RunSpec
from concept_depth.workflows.comparison import compare_pair, convergence_note, layer_list, rerun_spec, run_spec_of


def test_layer_list_compacts_runs():
    assert layer_list([1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–8"
    assert layer_list([4]) == "4" and layer_list([]) == ""


def test_convergence_note_names_the_compared_layers_that_did_not_converge(make_run):
    base, q8 = make_run(key="base"), make_run(quant=8, key="q8")
    assert convergence_note(base, q8) is None
    q8w = replace(q8, extra={"layer_warnings": {"ConvergenceWarning": {"2": 1, "3": 1, "4": 1, "7": 1}}})
    note = convergence_note(base, q8w)
    assert "8-bit: 4 of 9 layers (2–4, 7)" in note and "cv protocol" in note
    assert convergence_note(base, q8w, layers=[0, 1]) is None  # not on the compared layers
    older = replace(base, extra={"warnings": {"ConvergenceWarning": 30}})
    assert "32-bit: on some layers (this older result does not say which)" in convergence_note(older, q8)
    cv_base, cv_q8 = make_run(cv=True, key="cb"), replace(make_run(cv=True, quant=8, key="c8"), extra=q8w.extra)
    assert convergence_note(cv_base, cv_q8) is None  # cv is the fix, not the problem


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory):
    from concept_depth.storage.store import Store

    store = Store(tmp_path_factory.mktemp("pairs") / "cache")

    def spec(q, noise="none"):
        return RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama", quant=q), dataset=DatasetSpec(
            name="builtin-coinflip", limit=20, noise=NoiseSpec(kind=noise))))

    base = run_probe(spec(32), store=store, n_jobs=1)
    q16 = run_probe(spec(16), store=store, n_jobs=1)
    noisy = run_probe(spec(32, "paper"), store=store, n_jobs=1)
    return store, base, q16, noisy, spec


def test_compare_pair_is_paired_with_fidelity(tiny_pair):
    store, base, q16, noisy, _ = tiny_pair
    c = compare_pair(store, base, q16, n_boot=200)
    assert c.unpaired_reason is None and c.paired is not None
    assert [d.layer for d in c.paired.layers] == base.layer_numbers
    assert c.fidelity and c.fidelity["reference"] == base.extra["activation_key"]
    # the noisy run scores the same items (same samples, split): paired too, but no fidelity (other prompts)
    c = compare_pair(store, base, noisy, n_boot=200)
    assert c.paired is not None and c.fidelity is None


def test_runs_without_outcomes_are_unpaired_unless_refitted(tiny_pair):
    store, base, q16, _, _ = tiny_pair
    old = replace(q16, extra={k: v for k, v in q16.extra.items() if k != "outcomes"})
    c = compare_pair(store, base, old, n_boot=200)
    assert c.paired is None and "no per-sample outcomes" in c.unpaired_reason
    c = compare_pair(store, base, old, n_boot=200, refit=True)
    assert c.paired is not None


def test_rerun_spec_keeps_everything_but_the_protocol(tiny_pair):
    store, base, q16, noisy, spec = tiny_pair
    cv = rerun_spec(q16, store=store)
    assert cv == replace(spec(16), probe=replace(spec(16).probe, protocol="cv"))
    # an older result without its stored spec is rebuilt from its flat spec, checked against its vectors
    old = replace(noisy, extra={k: v for k, v in noisy.extra.items() if k != "run_spec"})
    assert run_spec_of(old, store) == spec(32, "paper")
    assert run_spec_of(old) == spec(32, "paper")  # without a store: not checked, same answer here
    lying = replace(old, extra=dict(old.extra, activation_key="aelsewhere"))
    with pytest.raises(BadInputError, match="cannot tell"):
        run_spec_of(lying, store)
    custom = replace(old, spec=dict(old.spec, dataset="custom:mine.csv"))
    with pytest.raises(BadInputError, match="uploaded file"):
        run_spec_of(custom)
    # the rebuilt cv spec computes a run with its own key (protocol is part of it)
    cv_run = run_probe(cv, store=store, n_jobs=1)
    assert cv_run.spec["protocol"] == "cv" and cv_run.key != q16.key
    assert cv_run.extra["activation_key"] == q16.extra["activation_key"]  # same vectors, no extraction
