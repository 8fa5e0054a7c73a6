"""Figures: pure functions, results in, ``plotly.graph_objects.Figure`` out.

Shared by the app (``st.plotly_chart``) and the CLI (``export``, ``run --figure``).
Nothing here computes anything heavy; PCA lives in :mod:`.pca` as plain numpy.
"""

from .bit_widths import depth_shift_figure, fidelity_figure
from .components import component_curves, component_runs
from .curves import layer_curves
from .directions import layer_cosine_heatmap, setting_cosine_curves
from .difference import difference_curves, find_baseline, pair_with_baselines
from .family_panels import family_panels
from ..export.figures import figure_to_bytes, figures_to_bytes, plotly_config
from .heatmaps import dataset_order, depth_heatmap
from .notes import what_this_shows
from .pca import PCAProjection, fit_pca, project_layers, shared_basis
from .scatter import pca_animation, pca_grid, pca_scatter
from .steering import steering_figure
from .theme import PALETTE, paper_theme
from .transfer import transfer_curves, transfer_heatmap

__all__ = [
    "depth_shift_figure", "fidelity_figure", "layer_curves", "family_panels", "difference_curves", "find_baseline",
    "pair_with_baselines", "figure_to_bytes",
    "figures_to_bytes", "plotly_config", "dataset_order", "depth_heatmap", "what_this_shows", "PCAProjection",
    "fit_pca", "project_layers", "shared_basis", "pca_animation", "pca_grid", "pca_scatter", "PALETTE",
    "paper_theme", "component_curves", "component_runs", "layer_cosine_heatmap", "setting_cosine_curves",
    "steering_figure", "transfer_curves", "transfer_heatmap",
]
