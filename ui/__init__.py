"""Streamlit helpers for the app (the only place besides pages/ that imports streamlit).

- engine access and caching: :func:`get_store`, :func:`model_loader` / :func:`loader_for`
  (``st.cache_resource``, loaded models within a memory budget, see ``ui.model_cache``),
  :func:`import_results`, :func:`cached_runs`, :func:`layer_vectors`, :func:`predictions`,
  :func:`catalog` (``st.cache_data``)
- :func:`run_job`: the one way to run a long job (Cancel button, a bar per stage, errors in
  place; nothing left on screen after it); :func:`execute_run` runs a probe through it
- :func:`show_errors`: engine errors as ``st.error``, page stays usable
- :func:`escape_markdown`: names from files and caches rendered literally
- :func:`figure_with_downloads`: chart + "what this shows" + PNG/SVG/PDF downloads
- run listings: :func:`runs_or_notice`, :func:`runs_frame`, :func:`latest_probe_run`, :func:`run_origin`
"""

from . import forms
from .engine import (bump_data_version, cached_runs, catalog, get_store, import_results, layer_vectors, loader_for,
                     model_loader, predictions, refresh_catalog, test_models_enabled)
from .errors import show_errors
from .figures import figure_with_downloads
from .jobs import execute_run, run_job, show_cancelled_notice
from .navigation import ensure_navigation
from .progress import StreamlitProgress, consume_cancel, request_cancel
from .results import (ORIGINS, created_text, filter_runs, headline, label_names, latest_probe_run, run_name,
                      run_option, run_origin, runs_dataframe, runs_frame, runs_or_notice, runs_static_table,
                      show_run)
from .text import escape_markdown

__all__ = [
    "forms", "bump_data_version", "cached_runs", "catalog", "get_store", "import_results", "layer_vectors",
    "loader_for", "model_loader", "predictions", "refresh_catalog", "test_models_enabled", "show_errors",
    "escape_markdown", "figure_with_downloads", "execute_run", "run_job", "show_cancelled_notice",
    "ensure_navigation", "StreamlitProgress", "consume_cancel", "request_cancel", "ORIGINS", "created_text",
    "filter_runs", "headline", "label_names", "latest_probe_run", "run_name", "run_option", "run_origin",
    "runs_dataframe", "runs_frame", "runs_or_notice", "runs_static_table", "show_run",
]
