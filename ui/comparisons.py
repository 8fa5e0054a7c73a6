"""The Compare page's difference tab beyond the curve: is each layer's difference beyond noise, how far the
depth metrics moved, how faithful the bit width's vectors are, and the cv comparison one click away."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from concept_depth.analyses.probe import load_run
from concept_depth.core.errors import BadInputError
from concept_depth.figures import depth_shift_figure, difference_curves, fidelity_figure, what_this_shows
from concept_depth.results.labels import setting_label
from concept_depth.results.run import RunResult
from concept_depth.workflows.comparison import (
    PairComparison,
    can_refit,
    layer_list,
    rerun_description,
    rerun_spec,
)

from .engine import get_store, pair_comparison
from .errors import show_errors
from .figures import figure_with_downloads
from .jobs import refit_runs, rerun_pair
from .text import escape_markdown

CV_PAIRS = "_cd_cmp_cv_pairs"


def _setting(run: RunResult) -> str:
    """A run's setting for Markdown: an imported run's noise field is the file's text, shown literally."""
    return escape_markdown(setting_label(run))


def _layers_text(layers: Sequence[int]) -> str:
    return layer_list(layers)


def verdict(c: PairComparison) -> str:
    """One line: which layers' differences are beyond noise."""
    name = f"**{_setting(c.run)} − 32-bit clean**"
    if c.paired is None:
        return f"{name}: not paired ({escape_markdown(c.unpaired_reason)}); the band is the wider unpaired approximation."
    beyond = c.paired.beyond_noise_layers()
    n = len(c.paired.layers)
    if not beyond:
        return f"{name}: no layer's difference is beyond noise ({c.paired.test}, Holm over {n} layers)."
    return (f"{name}: {len(beyond)} of {n} layers beyond noise (layers {_layers_text(beyond)}; "
            f"{c.paired.test}, Holm-adjusted p < {c.paired.alpha:g}).")


def layer_table(c: PairComparison) -> pd.DataFrame:
    return pd.DataFrame([{"layer": d.layer, "Δ accuracy": round(d.difference, 4),
                          "interval": f"[{d.low:+.3f}, {d.high:+.3f}]", "only this right": d.b_only,
                          "only 32-bit right": d.a_only, "p (McNemar)": float(f"{d.p_value:.3g}"),
                          "p (Holm)": float(f"{d.p_adjusted:.3g}"),
                          "verdict": "beyond noise" if d.beyond_noise else "within noise"} for d in c.paired.layers])


def shift_table(comparisons: Sequence[PairComparison]) -> pd.DataFrame:
    rows = []
    for c in comparisons:
        for s in c.paired.shifts:
            rows.append({"setting": setting_label(c.run), "metric": s.metric.replace("_", " "),
                         "32-bit clean": "–" if s.a is None else s.a, "setting value": "–" if s.b is None else s.b,
                         "shift": "–" if s.shift is None else f"{s.shift:+d}",
                         "interval": "–" if s.low is None else f"[{s.low:+.1f}, {s.high:+.1f}]",
                         "resamples defined": f"{s.defined_share:.0%}"})
    return pd.DataFrame(rows)


def fidelity_table(c: PairComparison) -> pd.DataFrame:
    return pd.DataFrame([{"layer": r["layer"], "mean cosine": r.get("cosine_mean"), "smallest cosine": r.get("cosine_min"),
                          "largest deviation (SD)": r.get("max_sd"), "mean deviation (SD)": r.get("mean_sd")}
                         for r in c.fidelity["layers"]])


def pair_comparisons(pairs: Sequence[tuple[RunResult, RunResult]]) -> list[PairComparison]:
    """One cached :func:`concept_depth.comparison.compare_pair` per (run, baseline) pair."""
    return [pair_comparison(base, run) for run, base in pairs]


def band_caption(comparisons: Sequence[PairComparison], method: str | None, metric: str) -> str:
    """What the difference figure's band is."""
    if not method:
        return f"No band: an interval is computed for accuracy only, not for {metric}."
    if all(c.paired is not None for c in comparisons):
        return (f"Band: {method}. Both runs of a pair scored the same held-out samples, so interval and test are "
                "paired, sample by sample. Filled markers: beyond noise; open: within noise.")
    return (f"Band: {method}. The two runs of a pair score the same held-out samples (same dataset, limit and "
            "split), so a paired interval would be narrower: the unpaired band is conservative.")


def show_comparison_details(comparisons: Sequence[PairComparison], *, metric: str, key: str = "cmp") -> None:
    """Below the difference curve: verdicts, per-layer tests, depth shifts, convergence notes with a cv
    button, fidelity to float32."""
    st.markdown("##### Beyond noise?")
    for c in comparisons:
        st.markdown(verdict(c))
    if metric != "accuracy":
        st.caption(f"The tests and intervals are on accuracy (per-sample right or wrong); the curve shows {metric}.")
    _offer_refit([c for c in comparisons if c.paired is None], key)
    for i, c in enumerate(comparisons):
        if c.paired is not None:
            with st.expander(f"Per-layer paired test: {_setting(c.run)} − 32-bit clean"):
                st.dataframe(layer_table(c), hide_index=True, width="stretch")
    paired = [c for c in comparisons if c.paired is not None and c.paired.shifts]
    if paired:
        st.markdown("##### Shift of the depth metrics")
        with show_errors("depth shifts"):
            fig = depth_shift_figure([(setting_label(c.run), c.paired) for c in paired])
            figure_with_downloads(fig, "depth-shift", note=what_this_shows("shift"), key=f"{key}-shift")
            st.dataframe(shift_table(paired), hide_index=True, width="stretch")
    _convergence(comparisons, key)
    _fidelity(comparisons, key)


def _offer_refit(unpaired: Sequence[PairComparison], key: str) -> None:
    store = get_store()
    fixable = [c for c in unpaired if all(can_refit(store, r) for r in (c.base, c.run))]
    if not fixable:
        return
    st.caption("Some runs were made before per-sample outcomes were stored; their layer vectors are cached, so "
               "refitting their probes (deterministic: same split, same fits) makes the comparison paired.")
    if st.button("Refit probes for paired tests", key=f"{key}-refit"):
        runs = {r.key: r for c in fixable for r in (c.base, c.run)}
        if refit_runs(list(runs.values()), key=f"{key}-refit-job") is not None:
            st.rerun()


def _convergence(comparisons: Sequence[PairComparison], key: str) -> None:
    noted = [(i, c) for i, c in enumerate(comparisons) if c.convergence_note]
    for i, c in noted:
        # engine text naming the setting (bit width and noise kind, both validated: a run with an unknown noise
        # kind is never paired), so nothing from a file's free text reaches it
        st.warning(c.convergence_note, icon=":material/warning:")
        imported = [r for r in (c.base, c.run) if r.origin == "import"]
        asked = st.button(f"Compare {_setting(c.run)} under cv" + ("…" if imported else ""), key=f"{key}-cv-{i}",
                          help="runs both under --protocol cv (cached runs return at once); same samples and seed"
                               + ("; an imported run is rerun only after you have seen what it would load"
                                  if imported else ""))
        if imported and (asked or st.session_state.get(f"{key}-cv-ask-{i}")):
            st.session_state[f"{key}-cv-ask-{i}"] = True  # the question stays until answered
            asked = _confirm_rerun(imported, key=f"{key}-cv-go-{i}")
        if asked:
            st.session_state.pop(f"{key}-cv-ask-{i}", None)
            got = rerun_pair(c.base, c.run, key=f"{key}-cv-job-{i}")
            if got is not None:
                pairs = st.session_state.setdefault(CV_PAIRS, [])
                if (got[1].key, got[0].key) not in pairs:
                    pairs.append((got[1].key, got[0].key))
    shown = st.session_state.get(CV_PAIRS) or []
    if shown:
        store = get_store()
        cv_pairs = []
        for run_key, base_key in shown:
            try:
                cv_pairs.append((load_run(store, run_key), load_run(store, base_key)))
            except Exception:  # deleted meanwhile
                continue
        if cv_pairs:
            st.markdown("##### The same comparison under cv")
            cv = [pair_comparison(base, run) for run, base in cv_pairs]
            with show_errors("cv difference curves"):
                fig = difference_curves(cv_pairs, metric="accuracy", paired=[c.paired for c in cv])
                figure_with_downloads(fig, "difference-curves-cv", note=what_this_shows("difference"),
                                      key=f"{key}-diff-cv")
            for c in cv:
                st.markdown(verdict(c))


def rerun_plan(imported: Sequence[RunResult], protocol: str = "cv") -> tuple[list[str], str | None]:
    """What rerunning imported runs under ``protocol`` would load (one line each), or why it must not be rerun
    (the engine refuses a file asking for ``trust_remote_code``, a local model path or a dataset path)."""
    store, lines = get_store(), []
    for run in imported:
        try:
            spec = rerun_spec(run, store=store, protocol=protocol)
        except BadInputError as exc:
            return [], str(exc)
        lines.append(f"{run.label} (imported): {rerun_description(spec)}")
    return lines, None


def _confirm_rerun(imported: Sequence[RunResult], *, key: str) -> bool:
    """Before rerunning an import: what would load, and a button to go ahead (True when pressed); a refused
    import is one line and no button (issue 22 item 7)."""
    lines, problem = rerun_plan(imported)
    if problem:
        st.error(f"Not rerun: {escape_markdown(problem)}.", icon=":material/block:")
        return False
    st.info("This reruns an imported result with the settings its file names. It would load "
            + "; ".join(escape_markdown(line) for line in lines) + ".", icon=":material/upload_file:")
    return st.button("Load and run", key=key, type="primary")


def _fidelity(comparisons: Sequence[PairComparison], key: str) -> None:
    low = [c for c in comparisons if int(c.run.spec.get("quant", 32)) != 32]
    if not low:
        return
    st.markdown("##### Fidelity to float32")
    have = [c for c in low if c.fidelity]
    seen, tables = set(), []
    for c in have:
        ref = (c.fidelity.get("reference"), c.run.extra.get("activation_key"))
        if ref not in seen:
            seen.add(ref)
            tables.append((setting_label(c.run), c.fidelity))
    if tables:
        with show_errors("fidelity"):
            fig = fidelity_figure(tables)
            figure_with_downloads(fig, "fidelity", note=what_this_shows("fidelity"), key=f"{key}-fidelity")
        for c in have:
            with st.expander(f"Fidelity table: {_setting(c.run)}"):
                st.dataframe(fidelity_table(c), hide_index=True, width="stretch")
    for c in low:
        if c.fidelity:
            continue
        if (c.run.spec.get("noise") or "none") != (c.base.spec.get("noise") or "none"):
            st.caption(f"{_setting(c.run)}: no fidelity table; it compares the same prompts, and this run's "
                       "prompts carry noise.")
        else:
            st.caption(f"{_setting(c.run)}: no fidelity table; it needs the layer vectors of both runs in the "
                       "cache (an imported run has none).")
