"""The app's access to the engine: store, loaded models (memory budget), cached runs and layer vectors.

Streamlit caching lives here and nowhere else.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import numpy as np
import streamlit as st

from concept_depth.analyses.probe import layer_predictions, list_runs
from concept_depth.core.progress import ProgressCallback
from concept_depth.core.specs import ModelSpec
from concept_depth.datasets import dataset_catalog
from concept_depth.datasets.sources import DATA_DIR_ENV
from concept_depth.extraction import activations_from_key
from concept_depth.figures import fit_umap
from concept_depth.models import load_model
from concept_depth.results.imports import import_results as _import_results
from concept_depth.results.run import RunResult
from concept_depth.storage.store import Store, default_cache_dir
from concept_depth.workflows.comparison import compare_pair

from .model_cache import ModelCache

TEST_MODELS_ENV = "CONCEPT_DEPTH_TEST_MODELS"


def test_models_enabled() -> bool:
    return os.environ.get(TEST_MODELS_ENV, "") not in ("", "0", "false")


# ---- store -----------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _store(directory: str) -> Store:
    return Store(directory)


def get_store() -> Store:
    """The store at ``$CONCEPT_DEPTH_CACHE`` (or ./cache), one object per directory."""
    return _store(str(default_cache_dir()))


def data_version() -> int:
    """Bumped after anything changes the stored runs, so cached listings refresh."""
    return int(st.session_state.get("_cd_data_version", 0))


def bump_data_version() -> None:
    st.session_state["_cd_data_version"] = data_version() + 1


# ---- loaded models, within a memory budget ---------------------------------------------
@st.cache_resource(show_spinner=False)
def _model_cache():
    """One cache for every session: several small models at once, least recently used evicted first
    (budget: $CONCEPT_DEPTH_MODEL_MEMORY_GB, else half the available memory; see ui.model_cache).
    Loads happen outside this cached function (they draw progress bars, which Streamlit cannot
    replay from a cached function); a second session asking for a model being loaded waits for it."""
    return ModelCache()


def model_loader(spec: ModelSpec, device: str | None = None, progress: ProgressCallback | None = None):
    """``model_loader=`` for the engine: reuses loaded models across reruns, tabs and sessions.

    The first load (with an embedded model's one-time conversion) reports to ``progress``.
    """
    key = (json.dumps(spec.to_dict(), sort_keys=True), device)
    return _model_cache().get(key, lambda: load_model(spec, device=device, cache_dir=get_store().directory,
                                                      progress=progress))


def loader_for(progress: ProgressCallback | None) -> Callable[[ModelSpec], object]:
    """A ``model_loader=`` whose first load (and conversion) reports to ``progress``."""
    return lambda spec: model_loader(spec, progress=progress)


def import_results(store: Store, files) -> Any:
    """Import uploaded result files ``[(name, bytes)]``: an ImportReport, one outcome per file."""
    return _import_results(store, files)


# ---- runs --------------------------------------------------------------------------------
def cached_runs() -> list:
    """Every cached run (RunResult), newest first.

    Not st.cache_data: other tabs and the CLI write runs too, and reading a few hundred
    small JSON dicts from SQLite takes milliseconds.
    """
    return list_runs(get_store())


@st.cache_data(show_spinner=False, max_entries=64)
def layer_vectors(directory: str, activation_key: str, layers: tuple[int, ...]) -> dict:
    """{layer: [N, D] float32}, plus labels and prompts, for the Layers page."""
    acts = activations_from_key(_store(directory), activation_key)
    return {"vectors": {l: np.asarray(acts.layer(l), dtype=np.float32) for l in layers},
            "labels": np.asarray(acts.labels), "prompts": list(acts.prompts)}


@st.cache_data(show_spinner="UMAP of the layer (seeded; the first one compiles numba code)…", max_entries=256)
def umap_projection(directory: str, activation_key: str, layer: int, seed: int = 0):
    """The seeded UMAP of one layer (a ``PCAProjection`` with ``method="umap"``), computed once per layer."""
    acts = activations_from_key(_store(directory), activation_key)
    return fit_umap(np.asarray(acts.layer(layer), dtype=np.float32), np.asarray(acts.labels), seed=seed)


@st.cache_data(show_spinner=False, max_entries=256)
def predictions(directory: str, run_json: str, layer: int) -> dict:
    """The probe's per-sample predictions at ``layer``: proba, pred, is_eval, correct ([N] each)."""
    p = layer_predictions(_store(directory), RunResult.from_json(run_json), layer)
    return {k: np.asarray(getattr(p, k)) for k in ("proba", "pred", "is_eval", "correct")}


@st.cache_data(show_spinner=False, max_entries=128)
def _pair_comparison(directory: str, base_json: str, run_json: str):
    return compare_pair(_store(directory), RunResult.from_json(base_json), RunResult.from_json(run_json))


def pair_comparison(base: RunResult, run: RunResult):
    """``compare_pair`` of ``run`` against its baseline ``base`` (paired tests, depth shifts, fidelity,
    convergence note), cached by the two results' content."""
    return _pair_comparison(str(get_store().directory), base.to_json(indent=None), run.to_json(indent=None))


@st.cache_data(show_spinner=False)
def _catalog(cache_dir: str, data_dir: str | None) -> list:
    return dataset_catalog(data_dir=data_dir, cache_dir=cache_dir)


def catalog() -> list:
    """The dataset catalog (which datasets exist and which are available here)."""
    return _catalog(str(get_store().directory), os.environ.get(DATA_DIR_ENV))


def refresh_catalog() -> None:
    """Forget the cached catalog (after a download, availability changed)."""
    _catalog.clear()
