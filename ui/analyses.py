"""The app's views of what the engine stores and pairs: stored results of any analysis, the runs of a grid,
a run's baselines and component runs, deleting runs and exporting bundles.

Pages call these (and ``concept_depth``'s public API), never the engine's modules directly.
"""

from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

import concept_depth as cd
from concept_depth.analyses import stored
from concept_depth.analyses.probe import delete_run
from concept_depth.export.bundle import make_bundle, runs_table
from concept_depth.results.base import Result
from concept_depth.workflows import baselines
from concept_depth.workflows.families import stored_runs
from concept_depth.workflows.sweeps import SweepItem, plan_sweep

from .engine import bump_data_version, cached_runs, get_store
from .errors import show_errors
from .text import escape_markdown

pair_with_baselines = baselines.pair_with_baselines
missing_difference_message = baselines.missing_difference_message
is_baseline = baselines.is_baseline


def stored_results(kind: str) -> list[Result]:
    """Every stored result of an analysis (``expression``, ``transfer``...), newest first; [] when the cache
    cannot be read (the error is shown)."""
    out: list[Result] = []
    with show_errors("cached results"):
        out = stored(get_store(), kind)
    return out


def pick_result(kind: str, key: str, wanted: str | None = None,
                describe: Callable[[Result], str] | None = None) -> Result | None:
    """A selectbox over the stored results of one analysis (newest first); None when there are none."""
    results = stored_results(kind)
    if not results:
        return None
    by_key = {r.key: r for r in results}
    keys = list(by_key)
    describe = describe or (lambda r: f"{r.label} · {r.key[:8]}")
    choice = st.selectbox("Show result", keys, index=keys.index(wanted) if wanted in keys else 0, key=key,
                          format_func=lambda k: describe(by_key[k]))
    return by_key[choice]


def json_download(result: Result, name: str, key: str) -> None:
    """A download button for the result's JSON."""
    st.download_button("Result JSON", result.to_json(), file_name=f"{name}-{result.key[:8]}.json",
                       mime="application/json", key=key)


def component_runs(anchor: cd.RunResult) -> list[cd.RunResult]:
    """The cached runs whose settings differ from ``anchor``'s only in the hook (anchor included)."""
    return baselines.component_runs(cached_runs(), anchor)


def plan_grid(models: Sequence[str], datasets: Sequence[str], *, quant: int, limit: int | None) -> list[SweepItem]:
    """The models x datasets grid's runs (specs checked, nothing computed)."""
    return plan_sweep(model=list(models), dataset=list(datasets), quant=quant, limit=limit)


def stored_grid_runs(items: Sequence[SweepItem]) -> list[cd.RunResult | None]:
    """For each grid item, the newest cached run with its settings (computed here), or None."""
    return stored_runs(items, cached_runs())


def delete_stored_run(run: cd.RunResult, *, with_vectors: bool) -> None:
    """Delete a run (and, asked for, its layer vectors); refreshes the listings."""
    store = get_store()
    delete_run(store, run.key)
    if with_vectors and run.origin != "import" and run.extra.get("activation_key"):
        store.delete_activations(run.extra["activation_key"])
    bump_data_version()
    st.success(f"deleted {escape_markdown(run.label)}")


def bundle_bytes(runs: Sequence[cd.RunResult], *, figures: bool) -> bytes:
    """The export bundle (.zip) of ``runs``."""
    return make_bundle(list(runs), figures=figures)


def runs_full_table(runs: Sequence[cd.RunResult]):
    """Every spec field of every run (the ``runs.csv`` of a bundle)."""
    return runs_table(list(runs))


def steering_summary(res) -> None:
    """The steering result's lead: the probe direction's own largest move of p(answer) the intended way
    (up for α > 0, down for α < 0), the random push of the same size there, and whether that is an effect."""
    words = res.answer.get("words") or ["class 0", "class 1"]
    labels = res.spec.get("label_names") or ["class 0", "class 1"]
    e = res.summary.get("effect")
    m = st.columns(4)
    m[0].metric(f"Baseline p({words[1]}) on {labels[1]}", f"{res.baseline['p1_class1']:.3f}",
                help=f"{res.summary['n_test']} held-out samples")
    if not e:  # stored before results led with the intended effect
        st.caption("This stored result predates the intended-direction summary; run it again to see it.")
        return
    where = f"layer {e['layer']}, α = {e['alpha']:+g}"
    m[1].metric("Largest move (probe)", f"{e['probe_effect']:+.3f}", delta=where, delta_color="off", delta_arrow="off",
                help=f"change of p({words[1]}) the intended way (up for α > 0, down for α < 0), all held-out samples; "
                     f"± {e['probe_effect_sem']:.3f}")
    m[2].metric("Random push there", f"{e['random_effect']:+.3f}", help="the same size along a random direction")
    m[3].metric("Probe − random", f"{e['beyond_random']:+.3f}",
                delta=None if e["z"] is None else f"z = {e['z']:.1f}", delta_color="off", delta_arrow="off",
                help=f"paired over the samples; ± {e['beyond_random_sem']:.3f}")
    if e["found"]:
        st.success(f"An effect: at {where} the probe direction moves p({words[1]}) the intended way beyond a random "
                   "push of the same size (≥ 2 standard errors; picked after looking, so read z as optimistic).")
    else:
        st.info(f"No effect: no layer and α where the probe direction moves p({words[1]}) the intended way beyond a "
                "random push of the same size by 2 standard errors.")
