"""Figures: pure functions, results in, ``plotly.graph_objects.Figure`` out.

Shared by the app (``st.plotly_chart``) and the CLI (``export``, ``run --figure``). Nothing here
computes anything heavy (PCA in :mod:`.pca` is plain numpy) and nothing here writes files (that is
:mod:`concept_depth.export`). The block at the end registers what each result's ``figure()`` draws
(results sit below the figures and never import them, see :mod:`concept_depth.core.drawing`).
"""

from ..analyses.directions import DirectionsResult
from ..analyses.expression.result import ExpressionResult
from ..analyses.steering import SteeringResult
from ..analyses.transfer import TransferResult
from ..core.drawing import draws
from ..results.run import RunResult
from ..workflows.families import ModelComparison
from ..workflows.series import CheckpointSeries
from .bit_widths import depth_shift_figure, fidelity_figure
from .components import component_curves
from .curves import layer_curves
from .difference import difference_curves
from .directions import layer_cosine_heatmap, setting_cosine_curves
from .expression import gap_figure, pass_at_n_figure, probe_vs_answer_scatter, shots_figure
from .family_panels import family_panels
from .heatmaps import dataset_order, depth_heatmap
from .notes import below_chance_message, what_this_shows
from .pca import PCAProjection, fit_pca, project_layers, shared_basis
from .questions import is_multiple_choice, option_hovers, question_table, question_views
from .scatter import ONE_POINT, ONE_POINT_WHY, UMAP_NOTE, pca_animation, pca_grid, pca_scatter
from .series import SERIES_NOTE, series_figure
from .steering import steering_figure
from .text import sample_texts, template_parts
from .theme import PALETTE, paper_theme
from .transfer import transfer_curves, transfer_heatmap
from .umap_projection import fit_umap, umap_layers

__all__ = [
    "depth_shift_figure", "fidelity_figure", "layer_curves", "family_panels", "difference_curves", "dataset_order", "depth_heatmap", "what_this_shows", "below_chance_message", "PCAProjection",
    "fit_pca", "project_layers", "shared_basis", "pca_animation", "pca_grid", "pca_scatter", "PALETTE",
    "paper_theme", "component_curves", "layer_cosine_heatmap", "setting_cosine_curves",
    "steering_figure", "transfer_curves", "transfer_heatmap", "gap_figure", "pass_at_n_figure",
    "probe_vs_answer_scatter", "shots_figure", "ONE_POINT", "ONE_POINT_WHY", "sample_texts", "template_parts",
    "series_figure", "SERIES_NOTE", "question_views", "option_hovers", "question_table", "is_multiple_choice", "UMAP_NOTE", "fit_umap", "umap_layers",
]

# ---- what result.figure() draws ----------------------------------------------------------------
draws(RunResult)(layer_curves)
draws(ExpressionResult)(gap_figure)
draws(TransferResult)(transfer_heatmap)
draws(DirectionsResult)(layer_cosine_heatmap)
draws(SteeringResult)(steering_figure)
draws(CheckpointSeries)(series_figure)


@draws(ModelComparison)
def _family_panels(grid: ModelComparison, metric: str = "accuracy", x: str = "relative"):
    return family_panels(grid.runs, metric=metric, x=x)


@draws(ModelComparison, "heatmap")
def _family_heatmap(grid: ModelComparison, value: str = "jumping_point", relative: bool = True):
    return depth_heatmap(grid.runs, value=value, relative=relative)
