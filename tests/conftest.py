"""Shared fixtures: tiny random models, toy samples, hand-made runs, temporary stores, the embedded model,
a served app.

Helpers several test folders need are fixtures returning the helper function, so no test
module imports another.

The embedded Gemma 3 270M is converted once into a persistent model cache
(``$CONCEPT_DEPTH_MODEL_CACHE``, else the repository's git-ignored ``cache/``) so the
slow tests pay the one-minute GGUF conversion only on a fresh machine; activations in
tests always go to a temporary store.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from concept_depth.core.specs import ModelSpec
from concept_depth.datasets.sample_set import SampleSet
from concept_depth.models import architectures as A
from concept_depth.results.run import DepthMetrics, LayerScore, RunResult
from concept_depth.storage.store import Store

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


def _make_samples(texts=STATEMENTS, template="Decide whether the statement is true or false. Statement: {text} Answer:",
                 labels=None, name="toy") -> SampleSet:
    """A SampleSet built directly (no dataset files needed)."""
    labels = np.array([i % 2 for i in range(len(texts))] if labels is None else labels, dtype=np.int64)
    return SampleSet(name=name, category="factual", template=template, texts=tuple(texts), labels=labels,
                     label_names=("false", "true"))


@pytest.fixture
def toy_samples() -> SampleSet:
    return _make_samples()


@pytest.fixture
def make_samples():
    """``make_samples(texts=..., template=..., labels=..., name=...)`` -> SampleSet."""
    return _make_samples


@pytest.fixture
def statements() -> tuple[str, ...]:
    return STATEMENTS


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
def model_cache() -> Path:
    """Where converted offline models are kept across test sessions."""
    return model_cache_dir()


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded Gemma 3 270M in float32 on CPU (converted once into the model cache)."""
    from concept_depth.models import load_model

    return load_model(ModelSpec(source="embedded"), device="cpu", cache_dir=model_cache_dir())


# ---- reference forward (one prompt at a time, plain HF) ------------------------------
def _layer_numbers(n_layers: int, hook: str) -> tuple[int, ...]:
    return tuple(range(0, n_layers + 1)) if hook == "residual" else tuple(range(1, n_layers + 1))


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def _reference(lm, prompts, hook: str, pooling: str, full: bool = True) -> np.ndarray:
    """The reference way: one prompt at a time, full causal-LM forward (logits included), hooks.

    ``full=False`` runs the body without the vocabulary projection (same states, faster).

    residual layer l < L comes from ``output_hidden_states``; layer L from a hook on the last
    block (HF's hidden_states[L] has the final norm applied, see the test below).
    Returns [N, K, D].
    """
    model, L = lm.model, lm.n_layers
    out = []
    for prompt in prompts:
        enc = lm.tokenizer(prompt, return_tensors="pt")
        got = {}
        if hook == "residual":
            modules = {L: A.decoder_layers(model)[L - 1]}
        else:
            modules = {i + 1: A.hook_module(model, hook, i + 1)[0] for i in range(L)}
        handles = [m.register_forward_hook(lambda mod, a, o, _l=l: got.__setitem__(_l, o[0] if isinstance(o, tuple)
                                                                                       else o))
                   for l, m in modules.items()]
        try:
            with torch.no_grad():
                res = (model if full else A.base_model(model))(**enc, output_hidden_states=True)
        finally:
            for h in handles:
                h.remove()
        if hook == "residual":
            for l in range(L):
                got[l] = res.hidden_states[l]
        pool = (lambda h: h[0, -1]) if pooling == "last" else (lambda h: h[0].mean(0))
        out.append(torch.stack([pool(got[l]).float() for l in _layer_numbers(L, hook)]).numpy())
    return np.stack(out)


@pytest.fixture
def cosine():
    """``cosine(a, b)`` row-wise over the last axis."""
    return _cosine


@pytest.fixture
def reference():
    """``reference(lm, prompts, hook, pooling, full=True)`` -> [N, K, D], one plain forward per prompt."""
    return _reference


# ---- hand-made runs for figure and page tests -------------------------------------------
def _make_run(*, model: str = "tiny:llama", dataset: str = "cities", category: str = "factual", quant: int = 32,
             noise: str = "none", n_layers: int = 8, cv: bool = False, jump: int | None = 3,
             converge: int | None = 5, key: str | None = None, shift: float = 0.0,
             control: bool = True) -> RunResult:
    layers = []
    for layer in range(n_layers + 1):
        acc = 0.5 + 0.45 / (1 + math.exp(-(layer - n_layers / 2))) - shift
        layers.append(LayerScore(
            layer=layer, accuracy=acc, f1=acc - 0.02, auc=min(1.0, acc + 0.03),
            accuracy_std=0.02 if cv else None, f1_std=0.03 if cv else None, auc_std=0.01 if cv else None,
            control_accuracy=0.5 + 0.01 * (layer % 2) if control else None,
        ))
    peak = max(layers, key=lambda s: s.accuracy)
    depth = DepthMetrics(jumping_point=jump, converging_point=converge, peak_layer=peak.layer,
                         peak_accuracy=peak.accuracy, chance=0.5, acquired=jump is not None, n_layers=n_layers)
    spec = {"model": model, "model_label": model, "dataset": dataset, "category": category, "quant": quant,
            "noise": noise, "noise_strength": 0.0, "noise_seed": 0, "hook": "residual", "pooling": "last",
            "limit": 100, "max_tokens": 512, "protocol": "cv" if cv else "paper", "probe": "lr",
            "prompt": None, "variant": None, "model_revision": None}
    return RunResult(spec=spec, n_samples=100, n_layers=n_layers, hidden_size=16, layers=tuple(layers),
                     depth=depth, key=key or f"{model}-{dataset}-{quant}-{noise}-{int(cv)}",
                     created="2026-11-22T10:00:00+00:00")


@pytest.fixture
def make_run():
    """``make_run(model=..., dataset=..., quant=..., noise=..., cv=..., jump=..., ...)`` -> RunResult."""
    return _make_run


# ---- a served app (the launcher test, the browser test) ------------------------------------------
@contextlib.contextmanager
def _served_app(argv, *, cwd: Path, env: dict, log_path: Path, stop_timeout: float = 10):
    """Start ``argv(port)`` (a Streamlit server on a free port of 127.0.0.1), wait until its health check
    answers (up to a minute), yield ``(url, process)``, and stop it. The server's output goes to ``log_path``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv(port), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(120):
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                raise AssertionError(f"the app did not start: {Path(log_path).read_text()[-2000:]}")
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def served_app():
    """``with served_app(argv, cwd=, env=, log_path=) as (url, process):`` a Streamlit server, started and
    healthy; ``argv(port)`` gives its command line."""
    return _served_app
