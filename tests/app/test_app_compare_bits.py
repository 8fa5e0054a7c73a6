"""Compare page, difference tab: paired tests, depth shifts, fidelity, the convergence note and its cv button."""

from __future__ import annotations

from dataclasses import replace

import pytest


@pytest.fixture(scope="module")
def bit_cache(tmp_path_factory):
    """A cache with tiny-llama coin-flip runs at 32 and 16 bits (paper protocol); the 16-bit run's probe
    is recorded as not converging on layers 1 and 2."""
    from concept_depth.analyses.probe import RUN_KIND, run_probe
    from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, RunSpec
    from concept_depth.storage.store import Store

    cache = tmp_path_factory.mktemp("compare-bits")
    store = Store(cache)
    runs = {}
    for q in (32, 16):
        spec = RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama", quant=q),
                                                 dataset=DatasetSpec(name="builtin-coinflip", limit=20)))
        runs[q] = run_probe(spec, store=store, n_jobs=1)
    q16 = replace(runs[16], extra=dict(runs[16].extra, layer_warnings={"ConvergenceWarning": {"1": 1, "2": 1}}))
    store.put_result(RUN_KIND, q16.key, q16.to_dict())
    return cache, runs[32], q16


@pytest.fixture
def env_bits(set_env, bit_cache):
    set_env(bit_cache[0])
    return bit_cache


def _roles(fig):
    return [(t.get("meta") or {}).get("role") for t in fig["data"]]


def test_difference_tab_says_which_layers_are_beyond_noise_and_offers_cv(charts, open_page, env_bits):
    at = open_page("app_pages/compare.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    figs = charts(at)
    diff = next(f for f in figs if "difference" in _roles(f))
    assert "noise-key" in _roles(diff) and "interval" in _roles(diff)
    band = next(t for t in diff["data"] if (t.get("meta") or {}).get("role") == "interval")
    assert band["name"].startswith("95% paired bootstrap interval")
    assert any("shift" in _roles(f) for f in figs)  # depth shifts with intervals
    assert any("max_sd" in _roles(f) for f in figs)  # fidelity to float32
    text = " ".join(m.value for m in at.markdown)
    assert "Beyond noise?" in text and "16-bit − 32-bit clean" in text and "Holm" in text
    assert any("paired, sample by sample" in c.value for c in at.caption)
    warning, = [w.value for w in at.warning if "did not converge" in w.value]
    assert "16-bit: 2 of" in warning and "(1–2)" in warning
    # one click: both runs under cv (the vectors are cached, only probes are fitted), compared below
    at.button(key="cmp-cv-0").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The same comparison under cv" in m.value for m in at.markdown)
    cv_fig = [f for f in charts(at) if "difference" in _roles(f)]
    assert len(cv_fig) == 2


def test_runs_without_outcomes_are_unpaired_until_refitted(open_page, env_bits):
    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.storage.store import Store

    cache, base, q16 = env_bits
    store = Store(cache)
    for run in (base, q16):  # as made before outcomes were stored
        store.put_result(RUN_KIND, run.key, replace(run, extra={k: v for k, v in run.extra.items()
                                                                if k != "outcomes"}).to_dict())
    at = open_page("app_pages/compare.py")
    assert not at.exception and not at.error
    assert any("not paired" in m.value and "no per-sample outcomes" in m.value for m in at.markdown)
    assert any("conservative" in c.value for c in at.caption)
    at.button(key="cmp-refit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("paired, sample by sample" in c.value for c in at.caption)
    assert "outcomes" in store.get_result(RUN_KIND, q16.key)
