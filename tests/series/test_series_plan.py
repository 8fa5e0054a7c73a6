"""Planning a checkpoint series (no model loaded) and the correlation over stages."""

from __future__ import annotations

import inspect
import math

import pytest
from scipy.stats import pearsonr, spearmanr

import concept_depth as cd
from concept_depth.core.errors import BadInputError
from concept_depth.workflows.series import plan_series, series_stages, stage_correlation


def test_stages_keep_the_order_given_and_their_names(tmp_path):
    a, b = tmp_path / "ckpt-a", tmp_path / "ckpt-b"
    stages = series_stages(series=f"sft={b},{a}")
    assert [s.name for s in stages] == ["sft", "ckpt-a"] and [s.model.source for s in stages] == [str(b), str(a)]
    commit = "0123456789abcdef" * 2 + "01234567"
    revs = series_stages(model="org/name", revision=f"step100,pre=step50,{commit}")
    assert [s.name for s in revs] == ["step100", "pre", "0123456789ab"]
    assert [s.model.revision for s in revs] == ["step100", "step50", commit]
    # a path holding "=" is a path, unless a name comes first
    paths = series_stages(series=f"{tmp_path}/lr=3e-4,base={tmp_path}/lr=1e-3")
    assert [(s.name, s.model.source) for s in paths] == [("lr=3e-4", f"{tmp_path}/lr=3e-4"),
                                                        ("base", f"{tmp_path}/lr=1e-3")]
    assert {s.model.source for s in revs} == {"org/name"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "needs --series NAME=SOURCE,... or --model ID --revision"),
    (dict(series="a=x", revision="r1"), "not both"),
    (dict(model="a,b", revision="r1,r2"), "--revision takes one --model"),
    (dict(series="a=x,a=y"), "given twice: a"),
    (dict(series="a=,b=y"), "'a=' is not NAME=VALUE"),
    (dict(series="a=x", model="org/name"), "--model goes with --revision"),
])
def test_series_mistakes_are_one_line(kwargs, message):
    with pytest.raises(BadInputError, match=message) as err:
        series_stages(**kwargs)
    assert "\n" not in str(err.value)


def test_a_plan_builds_every_spec_with_each_stage_s_revision():
    plan = plan_series(model="org/name", revision="r1,r2", dataset="cities,coinflip", limit=40, probe="rf",
                       answer_words="no,yes", hook="attn_out", chat_template=True)
    assert [i.names for i in plan.items] == [("r1", "32", "cities", "none"), ("r1", "32", "coinflip", "none"),
                                            ("r2", "32", "cities", "none"), ("r2", "32", "coinflip", "none")]
    assert [i.spec.extraction.model.revision for i in plan.items] == ["r1", "r1", "r2", "r2"]
    assert [e.model.revision for e in plan.expressions] == ["r1", "r1", "r2", "r2"]
    run, expr = plan.items[0].spec, plan.expressions[0]
    assert run.probe.probe == "rf" and run.extraction.hook == "attn_out" and run.extraction.dataset.limit == 40
    assert expr.shots == (0,) and expr.answer_words == ("no", "yes") and expr.dataset.limit == 40
    assert expr.chat_template and run.extraction.chat_template
    assert plan.stage_of(3).name == "r2" and plan.datasets == ("cities", "coinflip")


@pytest.mark.parametrize("kwargs, message", [
    (dict(limt=40), "does not take the option limt"),
    (dict(quant="32,8"), "one --quant value"),
    (dict(noise="none,paper"), "one --noise value"),
    (dict(dataset=None), "give --dataset"),
])
def test_plan_mistakes_fail_before_any_model_loads(kwargs, message):
    options = dict(series="a=embedded,b=smollm2", dataset="cities") | kwargs
    with pytest.raises(BadInputError, match=message):
        plan_series(**options)


def test_correlation_is_scipy_s_and_undefined_in_words_not_nan():
    cog, expr = [0.5, 0.62, 0.9, 1.0], [0.5, 0.55, 0.93, 0.97]
    n, r, rho, reason = stage_correlation(cog, expr)
    assert (n, reason) == (4, None)
    assert r == pytest.approx(pearsonr(cog, expr).statistic) and rho == pytest.approx(spearmanr(cog, expr).statistic)
    # stages without both values are left out, and say so in the count
    assert stage_correlation([0.5, None, 0.9, 1.0], [0.5, 0.6, None, 0.9])[0] == 2
    assert stage_correlation([0.5, 0.6], [0.5, 0.7]) == (2, None, None, "2 stages with both values; needs 3")
    assert stage_correlation([0.7, 0.7, 0.7], [0.5, 0.6, 0.9]) == (3, None, None,
                                                                    "cognition constant over the 3 stages")
    assert stage_correlation([0.5, 0.6, 0.9], [1, 1, 1])[3] == "expression constant over the 3 stages"
    assert stage_correlation([math.nan, 0.6, 0.9, 1.0], [0.5, 0.6, 0.9, 1.0])[0] == 3


def test_cd_series_takes_the_declared_options_as_keywords():
    params = inspect.signature(cd.series).parameters
    for name in ("revision", "series", "limit", "hook", "probe", "depth_rule", "shots", "answer_words", "no_probe"):
        assert name in params, name
    assert params["shots"].default == "0"  # zero-shot answers unless asked
    assert "seed" in params and params["seed"].default == 42  # the probe's split seed
    with pytest.raises(BadInputError, match="not both"):
        cd.series(series="a=x", revision="r1", dataset="cities", progress=False)
    with pytest.raises(BadInputError, match="--model goes with --revision"):
        cd.series(model="org/name", series="a=x", dataset="cities", progress=False)
