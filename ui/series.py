"""The Compare page's checkpoint series: stage inputs, a run with progress, the figure and the table.

One model at several training stages (local checkpoint folders or GGUF files, or hub revisions of
one model), each stage probed and asked on the chosen datasets (``concept_depth.workflows.series``);
cached steps come back at once. The page calls :func:`checkpoint_series` in one line.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st

from concept_depth.core.choices import QUANT_NAMES, QUANTS
from concept_depth.core.progress import ProgressEvent
from concept_depth.figures.series import SERIES_NOTE, series_figure
from concept_depth.workflows.series import SeriesPlan, plan_series, run_series

from .engine import catalog, get_store, loader_for
from .errors import show_errors
from .figures import figure_with_downloads
from .forms import sample_limit
from .jobs import run_job, show_cancelled_notice
from .text import escape_markdown

LOCAL, HUB = "Local checkpoints", "Hub revisions"
STAGES_HELP = ("one checkpoint per line, in training order: NAME=PATH, where PATH is a local model folder "
               "(save_pretrained), a .gguf file or any model name; a line without NAME= is named by its folder")


def _stage_inputs(key: str) -> dict:
    """``series=`` (lines) or ``model=`` and ``revision=`` of the stages typed."""
    mode = st.radio("Stages", [LOCAL, HUB], horizontal=True, key=f"{key}_mode",
                    help="local folders or GGUF files saved during training, or revisions (branches, tags, commits) "
                         "of one hub model")
    if mode == LOCAL:
        text = st.text_area("Checkpoints", key=f"{key}_stages", placeholder="base=/ckpt/base\nsft=/ckpt/sft",
                            help=STAGES_HELP)
        return dict(series=[line.strip() for line in text.splitlines() if line.strip()] or None)
    c1, c2 = st.columns(2)
    model = c1.text_input("Hub model", key=f"{key}_model", placeholder="org/name")
    revisions = c2.text_input("Revisions", key=f"{key}_revisions", placeholder="step1000,step2000,main",
                              help="comma-separated, in training order; NAME=REVISION names a stage")
    return dict(model=model.strip() or None, revision=revisions.strip() or None)


def _signature(plan: SeriesPlan) -> str:
    """What the drawn series was made of: redraw only while the inputs still ask for it."""
    text = repr([i.spec.to_dict() for i in plan.items] + [s.name for s in plan.stages])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run(plan: SeriesPlan, key: str):
    """:func:`run_series` through :func:`ui.run_job`: a bar over the series' steps, and the bars of the step
    in hand, their text naming it. None on error or cancel."""
    total = 2 * len(plan.items)

    def work(progress):
        def tagged(_i, step):
            return lambda event: progress(replace(event, detail=step.label + (f": {event.detail}" if event.detail
                                                                                else "")))

        progress(ProgressEvent("series", 0, total, unit="steps"))
        return run_series(plan, store=get_store(), model_loader=loader_for(progress), progress_for=tagged,
                          on_step=lambda i, step, _o: progress(ProgressEvent("series", i, total, unit="steps",
                                                                              detail=step.label)))

    return run_job(work, key=key, what="checkpoint series")


def _draw(series, key: str) -> None:
    fig = series_figure(series)
    figure_with_downloads(fig, "checkpoint-series", note=SERIES_NOTE, key=f"{key}-fig",
                          size_in=(7.0, round(fig.layout.height / 96, 2)))
    for c in series.correlations():
        what = "best probe accuracy" if c.cognition == "best_probe_accuracy" else "jumping point"
        st.caption(escape_markdown(f"{c.dataset}: {what} vs answer accuracy: {c.text}"))
    st.dataframe(series.table(), hide_index=True, key=f"{key}-table",
                 column_order=("stage", "dataset", "best_probe_accuracy", "best_probe_layer", "jumping_point",
                               "answer_accuracy", "gap", "layers", "samples", "model", "revision", "error"))
    for what, error, _code in series.failures:
        st.warning(f"failed: {escape_markdown(what)}: {escape_markdown(error)}")


def checkpoint_series(key: str = "series") -> None:
    """The checkpoint-series section: stage inputs, datasets, a Run button, then the figure and table."""
    st.subheader("Checkpoint series")
    st.caption("One model at several training stages (pretrained, SFT, RLHF... or checkpoints saved during "
               "training), left to right in training order: what a probe reads from each checkpoint (cognition) "
               "beside what it answers (expression), and how the two move together over the stages.")
    plan = None
    with show_errors("series"):
        stages = _stage_inputs(key)
        infos = catalog()
        names = [d.name for d in infos]
        available = {d.name for d in infos if d.available}
        default = [n for n in ("cities",) if n in available] or [n for n in ("builtin-capitals",) if n in names]
        c1, c2, c3 = st.columns([2, 1, 1])
        datasets = c1.multiselect("Datasets", names, default=default, key=f"{key}_datasets",
                                  format_func=lambda n: n if n in available else f"{n} (downloads on first use)",
                                  help="a line of each kind per dataset; the answers need a causal language model")
        limit = sample_limit(key=f"{key}_limit", container=c2)
        quant = c3.selectbox("Bit width", QUANTS, key=f"{key}_quant", format_func=QUANT_NAMES.get)
        if any(stages.values()) and datasets:
            plan = plan_series(**stages, dataset=list(datasets), limit=limit, quant=int(quant))
    if plan is None:
        st.info("Type the checkpoints (or a hub model and its revisions) and pick datasets to draw a series.")
        return
    n = len(plan.stages)
    if st.button(f"Run the series ({n} stage{'s' if n != 1 else ''} × {len(plan.datasets)} dataset"
                 f"{'s' if len(plan.datasets) != 1 else ''}) and draw", type="primary", key=f"{key}_run",
                 help="a probe run and the zero-shot answers per stage and dataset (cached ones are reused; each "
                      "checkpoint is loaded once); Cancel keeps what finished"):
        series = _run(plan, key)
        if series is not None:
            st.session_state[f"{key}_result"] = (_signature(plan), series)
    show_cancelled_notice()
    drawn = st.session_state.get(f"{key}_result")
    if drawn and drawn[0] == _signature(plan):
        with show_errors("series figure"):
            _draw(drawn[1], key)


__all__ = ["checkpoint_series"]
