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
from typing import Any, ClassVar

import numpy as np

from ..core.choices import PROBE_NAMES
from ..core.errors import BadInputError
from ..core.options import DATASET_OPTIONS, EXTRACTION_OPTIONS, MODEL_OPTIONS, comma_list
from ..core.progress import ProgressTracker
from ..core.specs import ExtractionSpec, Spec
from ..probing import paper_split
from ..results.base import AnalysisResult
from .common import ProbeFitter, analysis_key, check_probe, fmt, probe_options, timing_line, unit
from .protocol import Analysis, Session, run_analysis

DIRECTIONS_KIND = "directions"
DIRECTIONS_SCHEMA = "concept-depth/directions@1"


def setting_label(ex: ExtractionSpec) -> str:
    """``32-bit · clean`` / ``8-bit · paper noise (seed 0)``."""
    return f"{ex.model.quant}-bit · {ex.dataset.noise.label}"


DIRECTIONS_PROBE_OPTIONS = probe_options("mass-mean", linear=True, what="where each layer's direction comes from")


@dataclass(frozen=True)
class DirectionsSpec(Spec):
    """One model and dataset under one or more settings; the first is the reference.

    extractions : ExtractionSpecs that differ only in bit width and noise.
    probe : ``mass-mean`` (default: deterministic, no iterations) or ``lr``.
    seed, test_size : the paper protocol's split.
    """

    OPTIONS: ClassVar = (MODEL_OPTIONS, DATASET_OPTIONS, EXTRACTION_OPTIONS, DIRECTIONS_PROBE_OPTIONS)

    extractions: tuple[ExtractionSpec, ...]
    probe: str = "mass-mean"
    seed: int = 42
    test_size: float = 0.4

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "DirectionsSpec":
        """Every ``quant`` x ``noise`` (comma lists or lists) of one model and dataset; the first is the reference."""
        quants = comma_list(values.pop("quant", 32), "--quant")
        noises = comma_list(values.pop("noise", "none"), "--noise")
        extractions = tuple(ExtractionSpec.take_options(dict(values, quant=q, noise=n)) for q in quants for n in noises)
        ExtractionSpec.take_options(values)  # consumed: every setting read the same options
        v = DIRECTIONS_PROBE_OPTIONS.take(values)
        return cls(extractions=extractions, probe=v["probe"], seed=int(v["seed"]))

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


@dataclass(frozen=True, kw_only=True)
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

    SCHEMA: ClassVar[str] = DIRECTIONS_SCHEMA
    KIND: ClassVar[str] = DIRECTIONS_KIND
    REQUEST: ClassVar[type] = DirectionsSpec

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



def _key(spec: DirectionsSpec, session: Session) -> str:
    keys = [session.activation_key(ex) for ex in spec.extractions]
    return analysis_key(DIRECTIONS_KIND, activations=keys, probe=spec.probe, seed=int(spec.seed),
                        test_size=float(spec.test_size))


def _extract_all(spec: DirectionsSpec, session: Session) -> list:
    """Each setting's layer vectors, one model load per bit width."""
    session.loader  # noqa: B018 - the session's loader keeps a model loaded from one setting to the next
    order = sorted(range(len(spec.extractions)), key=lambda i: spec.extractions[i].model.quant)
    acts: list = [None] * len(order)
    for i in order:
        acts[i] = session.extract(spec.extractions[i])
    y = np.asarray(acts[0].labels)
    if any(not np.array_equal(np.asarray(a.labels), y) or a.layers != acts[0].layers for a in acts):
        raise BadInputError("the settings' samples differ; directions compare one dataset under several settings")
    return acts


def _directions(acts: list, y: np.ndarray, train: np.ndarray, test: np.ndarray, fitter: ProbeFitter,
                tracker: ProgressTracker):
    """Per setting and layer: the unit probe direction, own held-out accuracy and every setting's
    accuracy with it ([S, L', D], [S, L'], [S, S, L'])."""
    layers, n_s = acts[0].layers, len(acts)
    dirs = np.zeros((n_s, len(layers), acts[0].hidden_size))
    own = np.zeros((n_s, len(layers)))
    cross = np.zeros((n_s, n_s, len(layers)))
    for li, layer in enumerate(layers):
        X = [a.layer(layer) for a in acts]
        for s, probe in enumerate(fitter.fit(x[train], y[train]) for x in X):
            dirs[s, li] = unit(probe.direction())
            for t in range(n_s):
                cross[s, t, li] = float(np.mean(probe.predict(X[t][test]) == y[test]))
            own[s, li] = cross[s, s, li]
        tracker.update(li + 1)
    return dirs, own, cross


def _compute(spec: DirectionsSpec, session: Session, key: str) -> DirectionsResult:
    t0 = time.perf_counter()
    acts = _extract_all(spec, session)
    extract_s = time.perf_counter() - t0
    y = np.asarray(acts[0].labels)
    layers = acts[0].layers
    train, test = paper_split(len(y), spec.seed, spec.test_size)
    if len(np.unique(y[train])) < 2:
        raise BadInputError("the training split holds one class only; raise --limit")
    fitter = ProbeFitter(spec.probe, spec.seed)
    tracker = ProgressTracker(session.progress, "directions", len(layers), unit="layers")
    tracker.update(0)
    t1 = time.perf_counter()
    dirs, own, cross = _directions(acts, y, train, test, fitter, tracker)
    first = spec.extractions[0]
    samples = session.samples(first.dataset)
    flat = {
        "model": first.model.source, "model_label": acts[0].model_label or first.model.source,
        "model_fingerprint": acts[0].spec.get("model_fingerprint"), "quant": first.model.quant,
        "dataset": samples.name, "hook": first.hook, "pooling": first.pooling, "limit": first.dataset.limit,
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
        key=key, spec=flat, request=spec, created_ts=time.time(), notes=tuple(notes),
        timing={"extract_s": round(extract_s, 3), "probe_s": round(time.perf_counter() - t1, 3)},
        settings=tuple(setting_label(ex) for ex in spec.extractions), layers=tuple(int(l) for l in layers),
        layer_cosine=np.round(np.einsum("sld,smd->slm", dirs, dirs), 6).tolist(),
        setting_cosine=np.round(np.einsum("sld,tld->stl", dirs, dirs), 6).tolist(),
        own_accuracy=own.tolist(), cross_accuracy=cross.tolist(), chance_cosine=float(np.sqrt(2 / (np.pi * d))),
    )


def report(result: DirectionsResult) -> str:
    """Per layer: the reference's accuracy and direction cosines, and each other setting against it."""
    layers = list(result.layers)
    ref = result.layer_matrix(0)
    own = np.asarray(result.own_accuracy)
    peak = int(np.argmax(own[0]))
    others = list(enumerate(result.settings))[1:]
    lines = [f"reference R = {result.settings[0]} (its probe peaks at layer {layers[peak]})"]
    lines += [f"S{t} = {name}" for t, name in others]
    head = f"{'layer':>5} {'R acc':>6} {'cos next':>8} {'cos peak':>8}"
    for t, _ in others:
        head += f" | {f'S{t} cos R':>9} {f'S{t} acc':>7} {'R probe':>7}"
    lines.append(head)
    for i, layer in enumerate(layers):
        row = (f"{layer:>5} {fmt(own[0, i]):>6} {fmt(ref[i, i + 1] if i + 1 < len(layers) else None):>8} "
               f"{fmt(ref[i, peak]):>8}")
        for t, _ in others:
            row += (f" | {fmt(result.setting_cosine[0][t][i]):>9} {fmt(own[t, i]):>7} "
                    f"{fmt(result.cross_accuracy[0][t][i]):>7}")
        lines.append(row)
    if others:
        lines.append("(S cos R: cosine of the setting's direction to R's at that layer; R probe: R's probe "
                     "scored on the setting's held-out vectors)")
    off = ref[~np.eye(len(layers), dtype=bool)]
    s = result.spec
    lines += ["", f"layer x layer cosine ({result.settings[0]}): mean off-diagonal {fmt(float(off.mean()))}, "
              f"min {fmt(float(off.min()))}; random directions ≈ {fmt(result.chance_cosine)}",
              f"{s['model_label']} · {s['dataset']}, {s['hook']} / {s['pooling']}, probe {s['probe_name']}",
              timing_line(result)]
    return "\n".join(lines + [f"note: {n}" for n in result.notes])


DIRECTIONS: Analysis[DirectionsSpec, DirectionsResult] = Analysis(
    kind=DIRECTIONS_KIND, command="directions", spec=DirectionsSpec, result=DirectionsResult, key=_key,
    compute=_compute, report=report, options=DirectionsSpec.OPTIONS, listed=("quant", "noise"),
    help="cosine between probe directions across layers, bit widths, noise",
    description="Fits one linear probe per layer (default mass-mean) on the training split and compares the "
                "directions: layer x layer for the reference setting (the first --quant and --noise), and per "
                "layer between every other setting and the reference.",
    figure="the layer x layer heatmap", figure_size=(6.5, 5.5))


def run_directions(spec: DirectionsSpec, **run_options: Any) -> DirectionsResult:
    """Extract (or reuse) each setting's layer vectors, fit one probe per layer and setting, compare directions.

    Cached under kind ``directions`` by the settings' activation keys, the probe and the split.
    ``run_options``: the fields of ``Session``.
    """
    return run_analysis(DIRECTIONS, spec, **run_options)


def list_directions_results(store) -> list[DirectionsResult]:
    """Every stored direction analysis, newest first."""
    return DIRECTIONS.list(store)
