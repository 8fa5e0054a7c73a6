"""Transfer: does a concept learned on one dataset read another? Train at layer l on A, test on B.

For every layer l and every ordered pair (A, B) of the chosen datasets (A = B included):
fit the probe on A's training split (the paper protocol's 60 %, seed 42) of layer l, score
it on B's held-out 40 %. The diagonal is the ordinary per-layer probe accuracy; off the
diagonal is how far the concept carries over. ROC-AUC sits beside accuracy because a probe
whose threshold does not fit B's prompt can still rank B's samples right.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ..core.choices import PROBE_NAMES
from ..core.errors import BadInputError
from ..core.options import DATASET_OPTIONS, EXTRACTION_OPTIONS, MODEL_OPTIONS, Option, OptionGroup, comma_list
from ..core.progress import ProgressTracker
from ..core.specs import ExtractionSpec, Spec
from ..probing import binary_scores, majority_rate, paper_split
from ..results.base import AnalysisResult
from .common import ProbeFitter, analysis_key, check_probe, fmt, probe_options, timing_line
from .protocol import Analysis, Session, run_analysis

TRANSFER_KIND = "transfer"
TRANSFER_SCHEMA = "concept-depth/transfer@1"
METRICS = ("accuracy", "auc")


TRANSFER_PROBE_OPTIONS = probe_options("lr")
#: Options of the report and figure only (not part of the spec).
TRANSFER_VIEW = OptionGroup("view", (
    Option("layer", None, kind=int, help="layer of the printed matrix and the figure (default: the best mean transfer)"),
))


@dataclass(frozen=True)
class TransferSpec(Spec):
    """One model, several datasets (same hook, pooling, limit and noise), one probe family.

    extractions : one ExtractionSpec per dataset, in the order of the matrix rows and columns.
    probe : ``lr`` (the paper's), ``mass-mean`` or ``rf``.
    seed, test_size : the paper protocol's split, drawn on each dataset separately.
    """

    OPTIONS: ClassVar = (MODEL_OPTIONS, DATASET_OPTIONS, EXTRACTION_OPTIONS, TRANSFER_PROBE_OPTIONS)

    extractions: tuple[ExtractionSpec, ...]
    probe: str = "lr"
    seed: int = 42
    test_size: float = 0.4

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "TransferSpec":
        """``dataset`` is a comma list (or list) of dataset names; every other option applies to each."""
        if values.pop("dataset_file", None):
            raise BadInputError("transfer takes dataset names (--dataset a,b,c), not --dataset-file")
        names = comma_list(values.pop("dataset", None), "--dataset")
        values["dataset"] = names[0]
        ex = ExtractionSpec.take_options(values)
        v = TRANSFER_PROBE_OPTIONS.take(values)
        return cls(extractions=with_datasets(ex, names), probe=v["probe"], seed=int(v["seed"]))

    def __post_init__(self) -> None:
        object.__setattr__(self, "extractions", tuple(self.extractions))
        if not self.extractions:
            raise BadInputError("transfer needs at least one dataset")
        check_probe(self.probe)
        first = self.extractions[0]
        for ex in self.extractions[1:]:
            if (ex.model, ex.hook, ex.pooling, ex.max_tokens, ex.chat_template) != \
                    (first.model, first.hook, first.pooling, first.max_tokens, first.chat_template):
                raise BadInputError("transfer compares datasets under one model, hook, pooling and max tokens")
        names = [ex.dataset.name.lower() for ex in self.extractions]
        if len(set(names)) != len(names) and all(ex.dataset.path is None for ex in self.extractions):
            raise BadInputError(f"each dataset may appear once in a transfer, got {', '.join(names)}")


@dataclass(frozen=True, kw_only=True)
class TransferResult(AnalysisResult):
    """Train-on-A, test-on-B scores per layer.

    Attributes
    ----------
    datasets : [K] dataset names, rows (train) and columns (test) of every matrix.
    layers : [L'] layer numbers.
    accuracy, auc : [L'][K][K] score of the probe trained on ``datasets[a]`` and tested on the
        held-out split of ``datasets[b]`` at each layer (AUC None where undefined).
    chance : [K] majority-class rate of each dataset's held-out split.
    n_train, n_test : [K] training / held-out samples of each dataset.
    summary : ``best`` per ordered pair ``"A->B"``: {layer, accuracy, auc}; ``mean_transfer`` [L']
        mean off-diagonal accuracy per layer; ``best_transfer_layer``.
    """

    SCHEMA: ClassVar[str] = TRANSFER_SCHEMA
    KIND: ClassVar[str] = TRANSFER_KIND
    REQUEST: ClassVar[type] = TransferSpec

    datasets: tuple[str, ...] = ()
    layers: tuple[int, ...] = ()
    accuracy: list = field(default_factory=list)
    auc: list = field(default_factory=list)
    chance: list = field(default_factory=list)
    n_train: list = field(default_factory=list)
    n_test: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def matrix(self, layer: int, metric: str = "accuracy") -> np.ndarray:
        """[K, K] float (NaN where undefined): rows = trained on, columns = tested on."""
        if metric not in METRICS:
            raise BadInputError(f"metric must be one of {', '.join(METRICS)}")
        if layer not in self.layers:
            raise BadInputError(f"layer {layer} is not in this result (layers {self.layers[0]}..{self.layers[-1]})")
        values = getattr(self, metric)[list(self.layers).index(layer)]
        return np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)

    def curve(self, train: str, test: str, metric: str = "accuracy") -> list[float | None]:
        """[L'] score of train -> test at every layer."""
        a, b = self.datasets.index(train), self.datasets.index(test)
        return [row[a][b] for row in getattr(self, metric)]



def _key(spec: TransferSpec, session: Session) -> str:
    keys = [session.activation_key(ex) for ex in spec.extractions]
    return analysis_key(TRANSFER_KIND, activations=keys, probe=spec.probe, seed=int(spec.seed),
                        test_size=float(spec.test_size))


def _scores_at(X: list[np.ndarray], labels: list[np.ndarray], splits, fitter: ProbeFitter):
    """[K][K] accuracy and ROC-AUC (None where undefined) at one layer: rows trained on, columns tested on."""
    k = len(X)
    acc = [[0.0] * k for _ in range(k)]
    auc: list[list[float | None]] = [[None] * k for _ in range(k)]
    for a in range(k):
        probe = fitter.fit(X[a][splits[a][0]], labels[a][splits[a][0]])
        for b in range(k):
            test = splits[b][1]
            scores = binary_scores(labels[b][test], probe.predict(X[b][test]), probe.predict_proba(X[b][test])[:, 1])
            acc[a][b] = scores["accuracy"]
            auc[a][b] = None if np.isnan(scores["auc"]) else scores["auc"]
    return acc, auc


def _compute(spec: TransferSpec, session: Session, key: str) -> TransferResult:
    t0 = time.perf_counter()
    samples = [session.samples(ex.dataset) for ex in spec.extractions]
    session.loader  # noqa: B018 - one model load serves every dataset's extraction
    acts = [session.extract(ex, s) for ex, s in zip(spec.extractions, samples)]
    extract_s = time.perf_counter() - t0
    layers = acts[0].layers
    if any(a.layers != layers or a.hidden_size != acts[0].hidden_size for a in acts):
        raise BadInputError("the datasets' layer vectors differ in shape; they must come from one model and hook")
    splits = [paper_split(len(a), spec.seed, spec.test_size) for a in acts]
    labels = [np.asarray(a.labels) for a in acts]
    for s, (train, _), y in zip(samples, splits, labels):
        if len(np.unique(y[train])) < 2:
            raise BadInputError(f"the training split of {s.name} holds one class only; raise --limit")
    fitter = ProbeFitter(spec.probe, spec.seed)
    tracker = ProgressTracker(session.progress, "transfer", len(layers), unit="layers")
    tracker.update(0)
    acc_all, auc_all = [], []
    t1 = time.perf_counter()
    for li, layer in enumerate(layers):
        acc, auc = _scores_at([a.layer(layer) for a in acts], labels, splits, fitter)
        acc_all.append(acc)
        auc_all.append(auc)
        tracker.update(li + 1)
    names = [s.name for s in samples]
    first = spec.extractions[0]
    flat = {
        "model": first.model.source, "model_label": acts[0].model_label or first.model.source,
        "model_fingerprint": acts[0].spec.get("model_fingerprint"), "quant": first.model.quant,
        "dataset": " + ".join(names), "datasets": names, "hook": first.hook, "pooling": first.pooling,
        "limit": first.dataset.limit, "noise": first.dataset.noise.kind, "max_tokens": first.max_tokens,
        "probe": spec.probe, "probe_name": PROBE_NAMES[spec.probe], "seed": spec.seed,
        "test_size": spec.test_size, "activation_keys": [a.key for a in acts],
    }
    notes = [f"probe: {PROBE_NAMES[spec.probe]}, fitted on each training dataset's {1 - spec.test_size:.0%} "
             f"split (seed {spec.seed}), scored on the test dataset's held-out {spec.test_size:.0%}",
             *fitter.notes()]
    return TransferResult(
        key=key, spec=flat, request=spec, created_ts=time.time(), notes=tuple(notes),
        timing={"extract_s": round(extract_s, 3), "probe_s": round(time.perf_counter() - t1, 3)},
        datasets=tuple(names), layers=tuple(int(l) for l in layers), accuracy=acc_all, auc=auc_all,
        chance=[majority_rate(y[test]) for y, (_, test) in zip(labels, splits)],
        n_train=[int(len(tr)) for tr, _ in splits], n_test=[int(len(te)) for _, te in splits],
        summary=_summary(names, layers, acc_all, auc_all),
    )


def _summary(names, layers, acc, auc) -> dict[str, Any]:
    k = len(names)
    best = {}
    for a in range(k):
        for b in range(k):
            vals = [row[a][b] for row in acc]
            i = int(np.argmax(vals))
            best[f"{names[a]}->{names[b]}"] = {"layer": int(layers[i]), "accuracy": vals[i], "auc": auc[i][a][b]}
    off = [[row[a][b] for a in range(k) for b in range(k) if a != b] for row in acc]
    mean = [float(np.mean(v)) if v else None for v in off]
    valid = [(m, int(l)) for m, l in zip(mean, layers) if m is not None]
    best_layer = max(valid, key=lambda t: (t[0], -t[1]))[1] if valid else None
    return {"best": best, "mean_transfer": mean, "best_transfer_layer": best_layer}


def with_datasets(ex: ExtractionSpec, names: list[str]) -> tuple[ExtractionSpec, ...]:
    """``ex`` once per dataset name (dataset options other than the name kept)."""
    return tuple(replace(ex, dataset=replace(ex.dataset, name=n)) for n in names)


def report(result: TransferResult, layer: int | None = None) -> str:
    """The train x test matrix at ``layer`` (default: the best mean transfer), each pair's best layer and
    the mean transfer per layer, as plain text."""
    names = list(result.datasets)
    layer = result.summary.get("best_transfer_layer") if layer is None else layer
    if layer is None:
        layer = result.layers[-1]
    width = max(8, *(len(n) for n in names)) + 1
    m = result.matrix(layer)
    lines = [f"accuracy at layer {layer}: rows = trained on (training split), columns = tested on (held-out split)",
             " " * width + "".join(f"{n:>{width}}" for n in names)]
    for a, name in enumerate(names):
        lines.append(f"{name:<{width}}" + "".join(f"{fmt(v):>{width}}" for v in m[a]))
    lines += ["", "best layer per pair:"]
    for pair, best in result.summary["best"].items():
        lines.append(f"  {pair.replace('->', ' -> '):<{2 * width + 4}} layer {best['layer']:>3}  accuracy "
                     f"{fmt(best['accuracy'])}  AUC {fmt(best['auc'])}")
    if len(names) > 1:
        lines += ["", "mean transfer accuracy (off-diagonal) by layer:",
                  "  " + "  ".join(f"{l}:{fmt(v, 2)}" for l, v in zip(result.layers, result.summary["mean_transfer"]))]
    s = result.spec
    lines += ["", f"{s['model_label']}, {s['hook']} / {s['pooling']}, probe {s['probe_name']}, "
              f"train {result.n_train} / test {result.n_test} samples, chance {[round(c, 3) for c in result.chance]}",
              timing_line(result)]
    return "\n".join(lines + [f"note: {n}" for n in result.notes])


TRANSFER: Analysis[TransferSpec, TransferResult] = Analysis(
    kind=TRANSFER_KIND, command="transfer", spec=TransferSpec, result=TransferResult, key=_key, compute=_compute,
    report=report, options=TransferSpec.OPTIONS, listed=("dataset",), view=TRANSFER_VIEW,
    help="train a probe on one dataset, test it on another, at every layer",
    description="Train a probe at each layer on dataset A (60% split), test it on dataset B's held-out 40%, "
                "for every ordered pair of the comma-separated --dataset.",
    figure="the train x test heatmap")


def run_transfer(spec: TransferSpec, **run_options: Any) -> TransferResult:
    """Extract (or reuse) each dataset's layer vectors, then score every train/test pair at every layer.

    Cached under kind ``transfer`` by the datasets' activation keys, the probe and the split; a cached
    result loads no model and no layer vector. ``run_options``: the fields of ``Session``.
    """
    return run_analysis(TRANSFER, spec, **run_options)


def list_transfer_results(store) -> list[TransferResult]:
    """Every stored transfer result, newest first (malformed entries skipped)."""
    return TRANSFER.list(store)
