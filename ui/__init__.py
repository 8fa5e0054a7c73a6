"""Streamlit helpers for the app (the only place besides pages/ that imports streamlit).

- engine access and caching: :func:`get_store`, :func:`model_loader` (``st.cache_resource``, loaded
  models within a memory budget, see ``ui.model_cache``), :func:`import_results`, :func:`cached_runs`,
  :func:`layer_vectors`, :func:`predictions` (``st.cache_data``)
- :func:`escape_markdown`: names from files and caches rendered literally
- :func:`show_errors`: engine errors as ``st.error``, page stays usable
- :class:`StreamlitProgress`: progress events -> ``st.progress`` with ETA; cancel flag
- :func:`figure_with_downloads`: chart + "what this shows" + PNG/SVG/PDF downloads
"""

from .execute import execute_run, show_cancelled_notice
from . import forms
from .engine import (bump_data_version, cached_runs, catalog, engine, get_store, import_results, layer_vectors,
                     model_loader, predictions, test_models_enabled)
from .errors import show_errors
from .navigation import ensure_navigation
from .figures import figure_with_downloads
from .progress import StreamlitProgress, consume_cancel, request_cancel
from .text import escape_markdown
from .results import filter_runs, headline, label_names, run_option, runs_or_notice, show_run

__all__ = [
    "bump_data_version", "cached_runs", "escape_markdown", "import_results", "catalog", "engine", "get_store", "layer_vectors", "model_loader",
    "predictions", "test_models_enabled", "show_errors", "ensure_navigation", "figure_with_downloads", "StreamlitProgress",
    "consume_cancel", "request_cancel", "execute_run", "show_cancelled_notice", "filter_runs", "headline", "label_names", "run_option", "runs_or_notice", "show_run",
]
