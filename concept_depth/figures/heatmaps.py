"""Heatmaps of a depth metric over model × dataset (datasets ordered by category)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..results.labels import PARTS, model_name
from ..results.run import RunResult
from .theme import SEQUENTIAL, colorbar, paper_theme

CATEGORY_ORDER = ("factual", "emotional", "inferential", "custom")
VALUES = {
    "jumping_point": "jumping point",
    "converging_point": "converging point",
    "peak_accuracy": "peak accuracy",
    "peak_layer": "peak layer",
}


def dataset_order(runs: Sequence[RunResult]) -> list[str]:
    """Datasets ordered factual, emotional, inferential, custom (other categories last), then by name."""
    cats: dict[str, str] = {}
    for r in runs:
        cats.setdefault(str(r.spec.get("dataset")), str(r.spec.get("category") or "custom"))

    def rank(name: str) -> tuple[int, str]:
        cat = cats[name]
        return (CATEGORY_ORDER.index(cat) if cat in CATEGORY_ORDER else len(CATEGORY_ORDER), name.lower())

    return sorted(cats, key=rank)


def depth_value(run: RunResult, value: str, relative: bool) -> float | None:
    """One run's cell value; layer metrics optionally divided by the model depth."""
    v = getattr(run.depth, value)
    if v is None:
        return None
    if relative and value != "peak_accuracy":
        return run.depth.relative(v) if run.depth.n_layers else v / (run.n_layers or 1)
    return float(v)


#: Fields a heatmap row or column already names (the row: model, bit width below 32, chat template; the
#: column: dataset and what belongs to it), so a cell never repeats them.
ROW_COLUMN_FIELDS = ("model", "model_revision", "dataset", "variant", "prompt", "quant", "chat_template")


def cell_settings(runs: Sequence[RunResult]) -> list[str]:
    """Per run, the settings that differ between ``runs`` beyond what its row and column name (sample count,
    noise, hook, protocol...), e.g. ``n=200 · paper noise (seed 0)``; "" when no such setting varies."""
    texts = {field: [fmt(r) for r in runs] for field, fmt in PARTS if field not in ROW_COLUMN_FIELDS}
    varying = [f for f, values in texts.items() if len(set(values)) > 1]
    return [" · ".join(texts[f][i] for f in varying) for i in range(len(runs))]


def _cells(runs: Sequence[RunResult], models: list[str], datasets: list[str], value: str,
           relative: bool) -> tuple[np.ndarray, list[list[str]], list[list[str]]]:
    """Each cell's value, its text and the setting of the run it shows (the first run given per cell)."""
    z = np.full((len(models), len(datasets)), np.nan)
    text = [["" for _ in datasets] for _ in models]
    shown = [["" for _ in datasets] for _ in models]
    seen: set[tuple[int, int]] = set()
    for r, setting in zip(runs, cell_settings(runs)):
        i, j = models.index(model_name(r)), datasets.index(str(r.spec.get("dataset")))
        if (i, j) in seen:
            continue
        seen.add((i, j))
        v = depth_value(r, value, relative)
        if v is None:
            text[i][j] = "–"
        else:
            z[i, j] = v
            raw = getattr(r.depth, value)
            text[i][j] = f"{v:.2f}" if value == "peak_accuracy" else (f"{v:.2f} ({raw})" if relative else f"{raw}")
        if setting:
            text[i][j] += f"<br><sup>{setting}</sup>"
            shown[i][j] = setting
    return z, text, shown


def _not_acquired_text(x_labels: list[str], models: list[str], text: list[list[str]]) -> go.Scatter:
    """The cells' "–" as text: Plotly draws nothing of an all-empty heatmap, not even its text."""
    cells = [(x_labels[j], models[i], text[i][j]) for i in range(len(models)) for j in range(len(x_labels))
             if text[i][j]]
    return go.Scatter(x=[c[0] for c in cells], y=[c[1] for c in cells], mode="text",
                      text=[c[2] for c in cells], textfont=dict(size=14, color="#444"), showlegend=False,
                      hovertemplate="%{y}<br>%{x}<br>not acquired<extra></extra>", meta={"role": "not-acquired"})


def depth_heatmap(runs: Sequence[RunResult], *, value: str = "jumping_point", relative: bool = True,
                  title: str | None = None) -> go.Figure:
    """Model × dataset heatmap of ``value`` (jumping_point, converging_point, peak_accuracy, peak_layer).

    When several runs share a model and dataset the first one given wins (pass newest first,
    and filter by bit width / noise beforehand); where the runs given differ in other settings
    (samples, noise...), each cell names the setting of the run it shows, in its text and hover.
    Empty cells: no run; "–": concept not acquired.
    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {sorted(VALUES)}")
    datasets = dataset_order(runs)
    models = sorted({model_name(r) for r in runs})
    z, text, shown = _cells(runs, models, datasets, value, relative)
    cats = {str(r.spec.get("dataset")): str(r.spec.get("category") or "custom") for r in runs}
    x_labels = [f"{d}<br><sub>{cats[d]}</sub>" for d in datasets]
    is_layer = value != "peak_accuracy"
    unit = "relative depth" if (relative and is_layer) else ("layer" if is_layer else "accuracy")
    zmin, zmax = ((0.0, 1.0) if (relative and is_layer) or not is_layer else (None, None))
    if not is_layer:
        zmin = 0.5
    fig = go.Figure(go.Heatmap(
        z=z, x=x_labels, y=models, text=text, texttemplate="%{text}", colorscale=SEQUENTIAL, customdata=shown,
        reversescale=is_layer, zmin=zmin, zmax=zmax, colorbar=colorbar(unit),
        hoverongaps=False,
        hovertemplate="%{y}<br>%{x}<br>" + VALUES[value] + ": %{text}<extra></extra>",
        meta={"role": "heatmap", "value": value, "datasets": datasets, "models": models},
    ))
    if np.isnan(z).all():
        fig.add_trace(_not_acquired_text(x_labels, models, text))
    # categories named even where no cell has a value
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x_labels, range=[-0.5, len(datasets) - 0.5])
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=models)
    several = any(cell for row in shown for cell in row)
    fig.update_layout(title=title or f"{VALUES[value].capitalize()} by model and dataset"
                      + (" (layer / layers)" if relative and is_layer else "")
                      + ("<br><sup>where runs share a model and dataset, the newest is shown; each cell names "
                         "its setting</sup>" if several else ""),
                      xaxis_title="dataset (ordered by category)", yaxis_title="model")
    paper_theme(fig)
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(showgrid=False, autorange=False, range=[len(models) - 0.5, -0.5])  # first model on top
    return fig
