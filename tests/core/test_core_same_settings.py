"""One notion of "the same settings except X": a run's float32 clean baseline may differ from it in the bit
width and the noise only. Built field by field: a candidate that differs in any other spec field (chat
template, seed, folds, depth rule... every one of them, in turn) is never its baseline.

The flat field list this replaced (``figures/difference.MATCH_FIELDS``) left out ``chat_template``, ``seed``,
``folds``, ``noise`` strength and seed, ``test_size``, ``control``, the depth settings and more: it paired an
8-bit run made with the chat template with a plain float32 run."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from concept_depth.analyses.probe import flat_spec
from concept_depth.core.specs import DepthSpec, NoiseSpec, RunSpec
from concept_depth.datasets.registry import get_entry
from concept_depth.results.run import DepthMetrics, LayerScore, RunResult
from concept_depth.results.settings import differ_only_in, differences, flat_fields
from concept_depth.workflows.baselines import BASELINE_FREE, component_runs, find_baseline, pair_with_baselines

BASE = RunSpec.from_options(model="tiny:llama", dataset="builtin-coinflip", limit=60)
#: One other value for every field of a RunSpec (dotted name -> value).
OTHER = {
    "extraction.model.source": "tiny:gpt2", "extraction.model.revision": "r2",
    "extraction.model.trust_remote_code": True,
    "extraction.dataset.name": "builtin-capitals", "extraction.dataset.path": "/data/mine.csv",
    "extraction.dataset.text_col": "t", "extraction.dataset.label_col": "y", "extraction.dataset.prompt": "Q: {text}",
    "extraction.dataset.variant": "seed=1", "extraction.dataset.limit": 80, "extraction.dataset.group_col": "g",
    "extraction.dataset.choices_col": None, "extraction.dataset.answer_col": None,
    "extraction.hook": "attn_out", "extraction.pooling": "mean", "extraction.max_tokens": 256,
    "extraction.chat_template": True,
    "probe.protocol": "cv", "probe.probe": "rf", "probe.folds": 3, "probe.seed": 7, "probe.test_size": 0.3,
    "probe.control": False,
    "depth.jump_fraction": 0.7, "depth.converge_eps": 0.02, "depth.alpha": 0.01, "depth.rule": "paper",
}
FREE = {"extraction.model.quant": 8, "extraction.dataset.noise.kind": "paper",
        "extraction.dataset.noise.strength": 0.1, "extraction.dataset.noise.seed": 3}


def _changed(spec: RunSpec, name: str, value) -> RunSpec:
    """``spec`` with the field at the dotted ``name`` set to ``value``."""
    head, _, rest = name.partition(".")
    if not rest:
        return replace(spec, **{head: value})
    return replace(spec, **{head: _changed(getattr(spec, head), rest, value)})


def _run(spec: RunSpec, key: str) -> RunResult:
    ds = spec.extraction.dataset
    samples = SimpleNamespace(name=ds.name, category="inferential", template=ds.prompt or get_entry(ds.name).template)
    acts = SimpleNamespace(model_label=spec.extraction.model.source, spec={})
    layers = tuple(LayerScore(layer=l, accuracy=0.6, f1=0.6, auc=0.6) for l in range(4))
    depth = DepthMetrics(jumping_point=None, converging_point=None, peak_layer=None, peak_accuracy=0.6, chance=0.5,
                         acquired=False, n_layers=3)
    return RunResult(spec=flat_spec(spec, samples, acts), n_samples=60, n_layers=3, hidden_size=8, layers=layers,
                     depth=depth, key=key, extra={"run_spec": spec.to_dict(), "probe_spec": spec.probe.to_dict(),
                                                  "depth_spec": spec.depth.to_dict(), "created_ts": 1.0})


def test_every_spec_field_is_named_here():
    assert set(flat_fields(BASE)) == set(OTHER) | set(FREE)


@pytest.mark.parametrize("field", sorted(name for name, v in OTHER.items() if v is not None))
def test_a_candidate_differing_in_any_other_field_is_not_the_baseline(field):
    low = _run(_changed(BASE, "extraction.model.quant", 8), "q8")
    base = _run(BASE, "base")
    other = _run(_changed(BASE, field, OTHER[field]), "other")
    assert differences(other, base) == {field}
    assert find_baseline(low, [other]) is None, field
    assert find_baseline(low, [other, base]) is base
    assert not differ_only_in(low, other, BASELINE_FREE)


@pytest.mark.parametrize("field", sorted(FREE))
def test_bit_width_and_noise_are_what_a_baseline_may_differ_in(field):
    run = _run(_changed(BASE, field, FREE[field]), "setting")
    base = _run(BASE, "base")
    assert differ_only_in(run, base, BASELINE_FREE)
    assert find_baseline(run, [base]) is base
    assert not differ_only_in(run, base, ())


def test_the_same_samples_asked_for_two_ways_are_the_same_settings():
    """The app names a built-in dataset's default variant and spells its name as the registry does; the
    command line does not. Their runs of the same samples pair."""
    cli = _run(replace(BASE, extraction=replace(BASE.extraction, dataset=replace(
        BASE.extraction.dataset, name="BUILTIN-COINFLIP"))), "cli")
    app = _run(_changed(BASE, "extraction.dataset.variant", "seed=0"), "app")
    assert differences(cli, app) == set()
    low = _run(_changed(_changed(BASE, "extraction.dataset.variant", "seed=0"), "extraction.model.quant", 8), "low")
    assert find_baseline(low, [cli]) is cli


def test_an_imported_run_is_a_baseline_only_when_picked():
    low = _run(_changed(BASE, "extraction.model.quant", 8), "q8")
    base = _run(BASE, "import-base")
    imported = replace(base, extra=dict(base.extra, origin="import", created_ts=4e9))
    local = _run(BASE, "local")
    assert find_baseline(low, [imported, local]) is local  # newer by its own (untrusted) clock, still not chosen
    assert find_baseline(low, [imported]) is None
    assert find_baseline(low, [imported], picked=["import-base"]) is imported
    assert pair_with_baselines([low, imported], [imported]) == [(low, imported)]  # picked: both were selected


def test_components_differ_in_the_hook_only():
    anchor = _run(BASE, "r")
    attn = _run(_changed(BASE, "extraction.hook", "attn_out"), "a")
    chat = _run(_changed(_changed(BASE, "extraction.hook", "mlp_out"), "extraction.chat_template", True), "c")
    assert [r.key for r in component_runs([chat, attn, anchor], anchor)] == ["r", "a"]


def test_a_run_whose_description_contradicts_its_settings_pairs_with_nothing():
    base = _run(BASE, "base")
    edited = replace(base, spec=dict(base.spec, chat_template=True))  # flat block says one thing, run_spec another
    assert edited.request is None and differences(edited, base)
    assert find_baseline(_run(_changed(BASE, "extraction.model.quant", 8), "q8"), [edited]) is None


def test_noise_and_depth_specs_compare_by_value():
    assert NoiseSpec(kind="paper") != NoiseSpec() and DepthSpec(rule="paper").to_dict()["rule"] == "paper"
    assert "rule" not in DepthSpec().to_dict()  # the default: keys made before the rule existed stay the same
