"""The app's access to the engine: store, loaded models (memory budget), cached runs and layer vectors.

Streamlit caching lives here and nowhere else. Engine parts are imported lazily so a page
whose engine part is missing shows a readable error instead of failing to load.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

import numpy as np
import streamlit as st

from concept_depth.errors import UnavailableError
from concept_depth.specs import ModelSpec
from concept_depth.store import Store, default_cache_dir

TEST_MODELS_ENV = "CONCEPT_DEPTH_TEST_MODELS"


def engine(module: str, name: str) -> Any:
    """``concept_depth.<module>.<name>``, or UnavailableError naming what is missing."""
    try:
        return getattr(importlib.import_module(f"concept_depth.{module}"), name)
    except (ImportError, AttributeError) as exc:
        raise UnavailableError(f"this build lacks concept_depth.{module}.{name} ({exc})") from exc


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
    (budget: $CONCEPT_DEPTH_MODEL_MEMORY_GB, else half the available memory; see ui.model_cache)."""
    from .model_cache import ModelCache

    return ModelCache()


def model_loader(spec: ModelSpec, device: str | None = None):
    """``model_loader=`` for the engine: reuses loaded models across reruns, tabs and sessions."""
    load_model = engine("models", "load_model")
    key = (json.dumps(spec.to_dict(), sort_keys=True), device)
    return _model_cache().get(key, lambda: load_model(spec, device=device))


def import_results(store: Store, files) -> Any:
    """Import uploaded result files ``[(name, bytes)]``: an ImportReport, one outcome per file."""
    return engine("imports", "import_results")(store, files)


# ---- runs --------------------------------------------------------------------------------
def cached_runs() -> list:
    """Every cached run (RunResult), newest first.

    Not st.cache_data: other tabs and the CLI write runs too, and reading a few hundred
    small JSON dicts from SQLite takes milliseconds.
    """
    return engine("pipeline", "list_runs")(get_store())


@st.cache_data(show_spinner=False, max_entries=64)
def layer_vectors(directory: str, activation_key: str, layers: tuple[int, ...]) -> dict:
    """{layer: [N, D] float32}, plus labels and prompts, for the Layers page."""
    activations_from_key = engine("extraction", "activations_from_key")
    acts = activations_from_key(_store(directory), activation_key)
    return {"vectors": {l: np.asarray(acts.layer(l), dtype=np.float32) for l in layers},
            "labels": np.asarray(acts.labels), "prompts": list(acts.prompts)}


@st.cache_data(show_spinner=False, max_entries=256)
def predictions(directory: str, run_json: str, layer: int) -> dict:
    """The probe's per-sample predictions at ``layer``: proba, pred, is_eval, correct ([N] each)."""
    from concept_depth.results import RunResult

    layer_predictions = engine("pipeline", "layer_predictions")
    p = layer_predictions(_store(directory), RunResult.from_json(run_json), layer)
    return {k: np.asarray(getattr(p, k)) for k in ("proba", "pred", "is_eval", "correct")}


@st.cache_data(show_spinner=False)
def catalog() -> list:
    """The dataset catalog (which datasets exist and which are available here)."""
    return engine("datasets", "dataset_catalog")()
