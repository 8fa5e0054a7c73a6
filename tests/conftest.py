"""Shared fixtures: tiny random models, toy samples, temporary stores, the embedded model.

The embedded Gemma 3 270M is converted once into a persistent model cache
(``$CONCEPT_DEPTH_MODEL_CACHE``, else the repository's git-ignored ``cache/``) so the
slow tests pay the one-minute GGUF conversion only on a fresh machine; activations in
tests always go to a temporary store.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from concept_depth.datasets.sample_set import SampleSet
from concept_depth.specs import ModelSpec
from concept_depth.store import Store

REPO = Path(__file__).resolve().parents[1]

STATEMENTS = (
    "The city of Paris is in France.",
    "Tokyo is in Spain.",
    "Hi",
    "Berlin is the capital of Germany. Madrid is the capital of Spain. A coin is heads up.",
    "Water boils at one hundred degrees.",
    "The moon orbits the earth",
    "This movie was wonderful, moving and beautifully acted.",
    "Is this headline sarcastic? Scientists discover that sleep is nice.",
    "Bob does not flip the coin.",
    "no",
)


def make_samples(texts=STATEMENTS, template="Decide whether the statement is true or false. Statement: {text} Answer:",
                 labels=None, name="toy") -> SampleSet:
    """A SampleSet built directly (no dataset files needed)."""
    labels = np.array([i % 2 for i in range(len(texts))] if labels is None else labels, dtype=np.int64)
    return SampleSet(name=name, category="factual", template=template, texts=tuple(texts), labels=labels,
                     label_names=("false", "true"))


@pytest.fixture
def toy_samples() -> SampleSet:
    return make_samples()


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "cache")


@pytest.fixture(scope="session")
def tiny_models():
    """``get(arch, quant=32)`` -> LoadedModel of a tiny random model, built once per session."""
    from concept_depth.models import load_model

    built = {}

    def get(arch: str, quant: int = 32):
        if (arch, quant) not in built:
            built[arch, quant] = load_model(ModelSpec(source=f"tiny:{arch}", quant=quant), device="cpu")
        return built[arch, quant]
    return get


def model_cache_dir() -> Path:
    return Path(os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or REPO / "cache").resolve()


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded Gemma 3 270M in float32 on CPU (converted once into the model cache)."""
    from concept_depth.models import load_model

    return load_model(ModelSpec(source="embedded"), device="cpu", cache_dir=model_cache_dir())
