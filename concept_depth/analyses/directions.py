"""Direction stability: where the probe's direction turns, across layers and across bit widths / noise.

For one model and dataset under one or more settings (bit width, noise), a linear probe is
fitted on the training split (paper protocol, seed 42) of every layer and its weight vector
taken as the concept direction (``mass-mean``: mu_1 - mu_0; ``lr``: the coefficients).

- Layer x layer: cosine between the directions of every pair of layers of one setting. All
  residual layers share one basis, so a high cosine means the concept is written along the
  same direction; a block of high values is a stretch of depth where it stays put.
- Setting x setting, per layer: cosine between the directions two settings find at the same
  layer (does quantisation or noise *move* the direction?), and the held-out accuracy of
  setting s's probe applied to setting t's vectors against t's own probe (does it only *blur*
  the concept, keeping the direction usable?).

Two random directions in D dimensions have |cosine| of about sqrt(2 / (pi D)) (0.03 for D = 640).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core.errors import BadInputError
from ..core.progress import ProgressCallback, ProgressTracker
from ..core.specs import PROBE_NAMES, ExtractionSpec, _SpecMixin
from ..datasets import load_samples
from ..extraction import extract_activations
from ..extraction.keys import activation_key_for
from ..probing import paper_split
from ..storage.store import Store
from .common import ProbeFitter, analysis_key, check_probe, loader_or_default, unit
from .result import AnalysisResult

DIRECTIONS_KIND = "directions"
DIRECTIONS_SCHEMA = "concept-depth/directions@1"


def setting_label(ex: ExtractionSpec) -> str:
    """``32-bit · clean`` / ``8-bit · paper noise (seed 0)``."""
    return f"{ex.model.quant}-bit · {ex.dataset.noise.label}"


@dataclass(frozen=True)
class DirectionsSpec(_SpecMixin):
    """One model and dataset under one or more settings; the first is the reference.

    extractions : ExtractionSpecs that differ only in bit width and noise.
    probe : ``mass-mean`` (default: deterministic, no iterations) or ``lr``.
    seed, test_size : the paper protocol's split.
    """

    extractions: tuple[ExtractionSpec, ...]
    probe: str = "mass-mean"
    seed: int = 42
    test_size: float = 0.4

    def __post_init__(self) -> None:
        object.__setattr__(self, "extractions", tuple(self.extractions))
        if not self.extractions:
            raise BadInputError("directions need at least one setting")
        check_probe(self.probe, linear=True)
        first = self.extractions[0]

        def same(ex: ExtractionSpec) -> tuple:
            d = ex.dataset
            return (ex.model.source, ex.model.revision, ex.hook, ex.pooling, ex.max_tokens, ex.chat_template,
                    d.name, d.path, d.text_col, d.label_col, d.prompt, d.variant, d.limit)
        if any(same(ex) != same(first) for ex in self.extractions[1:]):
            raise BadInputError("direction stability compares settings of one model and dataset: only the bit "
                                "width and the noise may differ")
        labels = [setting_label(ex) for ex in self.extractions]
        if len(set(labels)) != len(labels):
            raise BadInputError(f"each setting may appear once, got {', '.join(labels)}")


@dataclass(frozen=True)
class DirectionsResult(AnalysisResult):
    """Cosines between probe directions.

    Attributes
    ----------
    settings : [S] labels (``32-bit · clean``...); the first is the reference.
    layers : [L'] layer numbers.
    layer_cosine : [S][L'][L'] cosine between the directions of two layers, per setting.
    setting_cosine : [S][S][L'] cosine between two settings' directions at the same layer.
    own_accuracy : [S][L'] held-out accuracy of each setting's own probe.
    cross_accuracy : [S][S][L'] held-out accuracy on setting t's vectors of setting s's probe.
    chance_cosine : typical |cosine| of two random directions, sqrt(2 / (pi D)).
    """

    SCHEMA = DIRECTIONS_SCHEMA
    KIND = DIRECTIONS_KIND

    settings: tuple[str, ...] = ()
    layers: tuple[int, ...] = ()
    layer_cosine: list = field(default_factory=list)
    setting_cosine: list = field(default_factory=list)
    own_accuracy: list = field(default_factory=list)
    cross_accuracy: list = field(default_factory=list)
    chance_cosine: float = 0.0

    def layer_matrix(self, setting: int | str = 0) -> np.ndarray:
        """[L', L'] cosines of one setting (index or label)."""
        i = self.settings.index(setting) if isinstance(setting, str) else int(setting)
        return np.asarray(self.layer_cosine[i], dtype=float)



def directions_key(spec: DirectionsSpec, activation_keys: list[str]) -> str:
    return analysis_key(DIRECTIONS_KIND, activations=activation_keys, probe=spec.probe, seed=int(spec.seed),
                        test_size=float(spec.test_size))


def run_directions(spec: DirectionsSpec, *, store: Store | None = None, model_loader: Callable | None = None,
                   batch_size: int = 16, device: str | None = None, progress: ProgressCallback | None = None,
                   data_dir=None) -> DirectionsResult:
    """Extract (or reuse) each setting's layer vectors, fit one probe per layer and setting, compare directions.

    Cached under kind ``directions`` by the settings' activation keys, the probe and the split.
    """

    store = store or Store()
    samples = [load_samples(ex.dataset, data_dir=data_dir, cache_dir=store.directory) for ex in spec.extractions]
    keys = [activation_key_for(ex, s, store.directory) for ex, s in zip(spec.extractions, samples)]
    key = directions_key(spec, keys)

    def compute() -> dict[str, Any]:
        return _compute(spec, key, store, samples, model_loader, batch_size, device, progress).to_dict()

    data, hit = store.memoize(DIRECTIONS_KIND, key, compute)
    return DirectionsResult.from_dict(data, cached=hit)


def _compute(spec, key, store, samples, model_loader, batch_size, device, progress) -> DirectionsResult:

    t0 = time.perf_counter()
    loader = loader_or_default(model_loader, device, store)
    order = sorted(range(len(spec.extractions)), key=lambda i: spec.extractions[i].model.quant)  # one load per width
    acts: list = [None] * len(order)
    for i in order:
        acts[i] = extract_activations(spec.extractions[i], store=store, samples=samples[i], model_loader=loader,
                                      batch_size=batch_size, device=device, progress=progress)
    extract_s = time.perf_counter() - t0
    y = np.asarray(acts[0].labels)
    if any(not np.array_equal(np.asarray(a.labels), y) or a.layers != acts[0].layers for a in acts):
        raise BadInputError("the settings' samples differ; directions compare one dataset under several settings")
    layers = acts[0].layers
    train, test = paper_split(len(y), spec.seed, spec.test_size)
    if len(np.unique(y[train])) < 2:
        raise BadInputError("the training split holds one class only; raise --limit")
    fitter = ProbeFitter(spec.probe, spec.seed)
    n_s = len(acts)
    tracker = ProgressTracker(progress, "directions", len(layers), unit="layers")
    tracker.update(0)
    dirs = np.zeros((n_s, len(layers), acts[0].hidden_size))
    own = np.zeros((n_s, len(layers)))
    cross = np.zeros((n_s, n_s, len(layers)))
    t1 = time.perf_counter()
    for li, layer in enumerate(layers):
        X = [a.layer(layer) for a in acts]
        probes = [fitter.fit(x[train], y[train]) for x in X]
        for s, probe in enumerate(probes):
            dirs[s, li] = unit(probe.direction())
            for t in range(n_s):
                cross[s, t, li] = float(np.mean(probe.predict(X[t][test]) == y[test]))
            own[s, li] = cross[s, s, li]
        tracker.update(li + 1)
    layer_cos = np.einsum("sld,smd->slm", dirs, dirs)
    setting_cos = np.einsum("sld,tld->stl", dirs, dirs)
    first = spec.extractions[0]
    flat = {
        "model": first.model.source, "model_label": acts[0].model_label or first.model.source,
        "model_fingerprint": acts[0].spec.get("model_fingerprint"), "quant": first.model.quant,
        "dataset": samples[0].name, "hook": first.hook, "pooling": first.pooling, "limit": first.dataset.limit,
        "noise": first.dataset.noise.kind, "max_tokens": first.max_tokens, "probe": spec.probe,
        "probe_name": PROBE_NAMES[spec.probe], "seed": spec.seed, "test_size": spec.test_size,
        "quants": [ex.model.quant for ex in spec.extractions],
        "noises": [ex.dataset.noise.to_dict() for ex in spec.extractions],
        "activation_keys": [a.key for a in acts],
    }
    d = acts[0].hidden_size
    notes = [f"directions: {PROBE_NAMES[spec.probe]} fitted on the {1 - spec.test_size:.0%} training split "
             f"(seed {spec.seed}) of each layer; accuracies on the held-out {spec.test_size:.0%}",
             f"two random directions in {d} dimensions have |cosine| ≈ {np.sqrt(2 / (np.pi * d)):.3f}",
             *fitter.notes()]
    return DirectionsResult(
        key=key, spec=flat, created_ts=time.time(), notes=tuple(notes),
        timing={"extract_s": round(extract_s, 3), "probe_s": round(time.perf_counter() - t1, 3)},
        settings=tuple(setting_label(ex) for ex in spec.extractions), layers=tuple(int(l) for l in layers),
        layer_cosine=np.round(layer_cos, 6).tolist(), setting_cosine=np.round(setting_cos, 6).tolist(),
        own_accuracy=own.tolist(), cross_accuracy=cross.tolist(), chance_cosine=float(np.sqrt(2 / (np.pi * d))),
    )


def list_directions_results(store: Store) -> list[DirectionsResult]:
    """Every stored direction analysis, newest first."""
    out = []
    for data in store.list_results(DIRECTIONS_KIND):
        try:
            out.append(DirectionsResult.from_dict(data, cached=True))
        except BadInputError:
            continue
    return sorted(out, key=lambda r: r.created_ts, reverse=True)
