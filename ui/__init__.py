"""Streamlit helpers for the app (the only place besides app_pages/ that imports streamlit).

- engine access and caching: :func:`get_store`, :func:`model_loader` / :func:`loader_for`
  (``st.cache_resource``, loaded models within a memory budget, see ``ui.model_cache``),
  :func:`import_results`, :func:`cached_runs`, :func:`layer_vectors`, :func:`predictions`, :func:`umap_projection`,
  :func:`catalog` (``st.cache_data``)
- :func:`run_job`: the one way to run a long job (Cancel button, a bar per stage, errors in
  place; nothing left on screen after it); :func:`run_analysis` is every analysis' run block
  (``cd.compute(spec)`` through it), :func:`execute_run` a probe run, :func:`execute_grid` a grid
- stored analyses (:mod:`ui.analyses`): :func:`pick_result`, :func:`stored_results`, :func:`json_download`;
  the runs of a grid, a run's baselines and component runs, deleting runs, bundles
- :func:`serving_refusal` (with :func:`listening_addresses`, :func:`refuse_once`): app.py's loopback guard
- :func:`grid_time_note`, :func:`run_time_note`: how long a grid or run will take here, from the rates this
  machine measured (cached runs' timing), and which runs are cached already
- :func:`show_errors`: engine errors as ``st.error``, page stays usable
- :func:`escape_markdown`: names from files and caches rendered literally
- :func:`figure_with_downloads`: chart + "what this shows" + PNG/SVG/PDF downloads
- comparisons against float32 clean: :func:`pair_comparisons`, :func:`band_caption`,
  :func:`show_comparison_details` (paired tests, depth shifts, convergence notes with the cv
  comparison one click away, fidelity)
- run listings: :func:`runs_or_notice`, :func:`runs_frame`, :func:`latest_probe_run`, :func:`run_origin`;
  :func:`sweeps_panel` (sweeps with their progress)
"""

from . import forms
from .analyses import (
    bundle_bytes,
    component_runs,
    delete_stored_run,
    is_baseline,
    json_download,
    missing_difference_message,
    pair_with_baselines,
    pick_result,
    plan_grid,
    runs_full_table,
    steering_summary,
    stored_grid_runs,
    stored_results,
)
from .comparisons import band_caption, pair_comparisons, show_comparison_details
from .engine import (
    bump_data_version,
    cached_runs,
    catalog,
    get_store,
    import_results,
    layer_vectors,
    loader_for,
    model_loader,
    predictions,
    refresh_catalog,
    test_models_enabled,
    umap_projection,
)
from .errors import show_errors
from .estimates import grid_time_note, run_time_note
from .figures import figure_with_downloads
from .jobs import execute_grid, execute_run, refit_runs, rerun_pair, run_analysis, run_job, show_cancelled_notice
from .progress import StreamlitProgress, consume_cancel, request_cancel
from .results import (
    ORIGINS,
    created_text,
    filter_runs,
    headline,
    label_names,
    latest_probe_run,
    pick_runs,
    run_name,
    run_option,
    run_origin,
    runs_dataframe,
    runs_frame,
    runs_or_notice,
    runs_page_frame,
    runs_static_table,
    show_run,
)
from .series import checkpoint_series
from .serving import listening_addresses, refuse_once, serving_refusal
from .sweeps import sweeps_panel
from .text import escape_markdown

__all__ = [
    "listening_addresses", "refuse_once", "serving_refusal",
    "grid_time_note", "run_time_note", "band_caption", "pair_comparisons", "show_comparison_details", "refit_runs", "rerun_pair",
    "forms", "bump_data_version", "cached_runs", "catalog", "get_store", "import_results", "layer_vectors",
    "loader_for", "model_loader", "predictions", "refresh_catalog", "test_models_enabled", "umap_projection", "show_errors",
    "escape_markdown", "figure_with_downloads", "execute_grid", "execute_run", "run_job", "show_cancelled_notice",
    "checkpoint_series", "run_analysis", "bundle_bytes", "component_runs", "delete_stored_run", "is_baseline", "json_download",
    "missing_difference_message", "pair_with_baselines", "pick_result", "plan_grid", "runs_full_table",
    "steering_summary", "stored_grid_runs", "stored_results", "StreamlitProgress", "consume_cancel", "request_cancel", "ORIGINS", "created_text",
    "filter_runs", "headline", "label_names", "latest_probe_run", "pick_runs", "run_name", "run_option", "run_origin",
    "runs_dataframe", "runs_frame", "runs_page_frame", "runs_or_notice", "runs_static_table", "show_run", "sweeps_panel",
]
