"""Does the model use the concept? Steer the residual stream along the probe direction and watch the answer.

Protocol (one SteerSpec):

1. Prompts are the dataset's, ending in the answer cue (``"\\nAnswer:"``), exactly the zero-shot
   prompts of the expression analysis, so the vectors the probe reads and the position that is
   steered are the same token: the last one, whose next token is the answer.
2. Per layer l: a linear probe on the training split (paper protocol, seed 42) gives the unit
   direction u_l (oriented from class 0 to class 1) and its held-out accuracy (where the concept
   is *readable*); n_l = the layer's typical last-token residual norm over the training samples:
   ``centered`` (default) the median of ||h - mean(h)||, the size of what varies between prompts;
   ``raw`` the median of ||h||. They differ enormously where a few dimensions carry huge, nearly
   constant values ("massive activations": on Gemma 3 270M one dimension holds 95 % of the raw
   norm of the later layers), and a push of the raw norm's size swamps any direction, random or not.
3. On the held-out samples: p(class 1) = the model's renormalised next-token probability of
   class 1's answer word (e.g. "Yes"), first unchanged, then with alpha * n_l * u_l added to the
   last token's residual stream at layer l (the capture core's ``AddAtLast`` edit), for each layer
   and alpha; and the same with a random unit direction r_l (seeded) of the same norm, the control.
4. Effect = mean change of p(class 1) over the held-out samples, over class-1 samples (e.g. true
   statements) and class-0 samples, with standard errors; ``excess`` = the per-sample difference
   between probe and random effects (paired), so "moves the answer more than a random push of
   the same size" is a mean with an error bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from ..capture import AddAtLast, AnswerLogits, Capture, run_all
from ..core.errors import BadInputError
from ..core.optional import torch
from ..core.progress import ProgressCallback, ProgressTracker
from ..core.specs import PROBE_NAMES, ExtractionSpec, _SpecMixin
from ..datasets import load_samples
from ..extraction import extract_activations
from ..extraction.keys import activation_key_for
from ..probing import paper_split
from ..storage.store import Store
from .common import ProbeFitter, analysis_key, check_probe, loader_or_default, unit
from .expression.answer_words import resolve_answer_words
from .expression.scoring import two_way_p1
from .result import AnalysisResult

STEER_KIND = "steer"
STEER_SCHEMA = "concept-depth/steering@1"
DEFAULT_ALPHAS = (-4.0, -2.0, 2.0, 4.0)
DEFAULT_CUE = "\nAnswer:"
DIRECTIONS = ("probe", "random")
#: How the unit of alpha is measured (see the module docstring).
NORMS = ("centered", "raw")
NORM_TEXT = {"centered": "median distance of the last-token vectors from their mean",
             "raw": "median last-token residual norm"}


@dataclass(frozen=True)
class SteerSpec(_SpecMixin):
    """Steering along the probe direction of one model and dataset.

    extraction : model and dataset (residual stream, last token; the cue is appended to the prompt).
    alphas : push strengths in units of the layer's typical residual norm (both signs).
    layers : residual layers to steer (None = all, 0 = the embeddings).
    probe : ``mass-mean`` (default) or ``lr``: where the direction comes from.
    seed, test_size : the paper protocol's split (directions fitted on train, effects measured on test).
    random_seed : seed of the random control directions.
    answer_words : (class 0, class 1) words; None = the dataset's own.
    answer_cue : appended to every prompt so the next token is the answer.
    norm : unit of alpha: ``centered`` (median ||h - mean h||) or ``raw`` (median ||h||).
    """

    extraction: ExtractionSpec
    alphas: tuple[float, ...] = DEFAULT_ALPHAS
    layers: tuple[int, ...] | None = None
    probe: str = "mass-mean"
    seed: int = 42
    test_size: float = 0.4
    random_seed: int = 0
    answer_words: tuple[str, str] | None = None
    answer_cue: str = DEFAULT_CUE
    norm: str = "centered"

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise BadInputError(f"unknown norm {self.norm!r}; choose one of {', '.join(NORMS)}")
        try:
            alphas = tuple(sorted({float(a) for a in self.alphas}))
            layers = None if self.layers is None else tuple(sorted({int(l) for l in self.layers}))
        except (TypeError, ValueError):
            raise BadInputError("alphas must be numbers and layers whole numbers") from None
        if not alphas or any(not np.isfinite(a) for a in alphas):
            raise BadInputError("give at least one finite alpha (e.g. --alpha -4,-2,2,4)")
        if layers is not None and (not layers or layers[0] < 0):
            raise BadInputError("layers must be 0 or more (0 = the embeddings)")
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "layers", layers)
        if self.answer_words is not None:
            object.__setattr__(self, "answer_words", tuple(str(w).strip() for w in self.answer_words))
        check_probe(self.probe, linear=True)
        if self.extraction.hook != "residual" or self.extraction.pooling != "last":
            raise BadInputError("steering adds to the residual stream at the last token: use hook residual, "
                                "pooling last")


@dataclass(frozen=True)
class SteeringResult(AnalysisResult):
    """Answer-probability shifts per layer and alpha, along the probe direction and a random one.

    Attributes
    ----------
    layers : [L'] steered layers; alphas : [A].
    answer : {"words": [w0, w1], "ids": [[...], [...]], "tokens": [[...], [...]]}.
    baseline : unsteered {"p1_mean", "p1_class1", "p1_class0", "accuracy"} on the held-out samples.
    probe_accuracy : [L'] held-out accuracy of the probe whose direction is used (readability).
    norms : [L'] the unit of alpha per layer (``spec["norm"]``: centered or raw median norm);
        ``raw_norms`` and ``centered_norms`` [L'] both.
    effects : {"probe" | "random": {metric: [L'][A]}} with metrics ``delta_all``, ``delta_class1``,
        ``delta_class0`` (mean change of p(class 1)), their ``*_sem``, ``accuracy`` (greedy, after
        steering) and ``flipped`` (share of answers that changed).
    excess : {"class1" | "all": {"mean": [L'][A], "sem": [L'][A]}} paired probe - random change.
    random_cosine : [L'] cosine between the probe and random directions.
    summary : ``best`` (layer, alpha, probe and random class-1 effects, excess, z), ``n_test``...
    """

    SCHEMA = STEER_SCHEMA
    KIND = STEER_KIND

    layers: tuple[int, ...] = ()
    alphas: tuple[float, ...] = ()
    answer: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    probe_accuracy: list = field(default_factory=list)
    norms: list = field(default_factory=list)
    raw_norms: list = field(default_factory=list)
    centered_norms: list = field(default_factory=list)
    effects: dict = field(default_factory=dict)
    excess: dict = field(default_factory=dict)
    random_cosine: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def effect(self, direction: str = "probe", metric: str = "delta_class1") -> np.ndarray:
        """[L', A] one effect table."""
        return np.asarray(self.effects[direction][metric], dtype=float)



def cue_samples(samples, cue: str):
    """The samples with ``cue`` appended to their prompt template (the answer follows it)."""
    return replace(samples, template=samples.template + cue)


def steer_key(spec: SteerSpec, activation_key: str, words: Sequence[str]) -> str:
    return analysis_key(STEER_KIND, activations=activation_key, alphas=list(spec.alphas),
                        layers=None if spec.layers is None else list(spec.layers), probe=spec.probe,
                        seed=int(spec.seed), test_size=float(spec.test_size), random_seed=int(spec.random_seed),
                        answer_words=list(words), cue=spec.answer_cue, norm=spec.norm)


def run_steer(spec: SteerSpec, *, store: Store | None = None, model_loader: Callable | None = None,
              batch_size: int = 16, device: str | None = None, progress: ProgressCallback | None = None,
              data_dir=None) -> SteeringResult:
    """Fit the directions, then steer every chosen layer by every alpha (and a random control).

    Cached under kind ``steer``; the layer vectors of the cued prompts are cached as activations.

    Raises
    ------
    BadInputError : an encoder model, a layer the model lacks, answer words the tokenizer cannot spell.
    """

    store = store or Store()
    samples = load_samples(spec.extraction.dataset, data_dir=data_dir, cache_dir=store.directory)
    cued = cue_samples(samples, spec.answer_cue)
    ex = replace(spec.extraction, dataset=replace(spec.extraction.dataset, prompt=cued.template))
    words = spec.answer_words or tuple(samples.answer_words)
    key = steer_key(spec, activation_key_for(ex, cued, store.directory), words)

    def compute() -> dict[str, Any]:
        return _compute(spec, ex, key, store, cued, words, model_loader, batch_size, device, progress).to_dict()

    data, hit = store.memoize(STEER_KIND, key, compute)
    return SteeringResult.from_dict(data, cached=hit)


def _stats(delta: np.ndarray) -> tuple[float, float]:
    """(mean, standard error) of a [n] array (sem 0 for one value)."""
    n = len(delta)
    if n == 0:
        return float("nan"), float("nan")
    return float(delta.mean()), float(delta.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def _compute(spec, ex, key, store, samples, words, model_loader, batch_size, device, progress) -> SteeringResult:


    t0 = time.perf_counter()
    loader = loader_or_default(model_loader, device, store)
    acts = extract_activations(ex, store=store, samples=samples, model_loader=loader, batch_size=batch_size,
                               device=device, progress=progress)
    lm = loader(ex.model)
    if not getattr(lm, "is_decoder", True):
        raise BadInputError(f"{lm.label} is an encoder: it does not answer, so steering needs a causal language model")
    layers = tuple(acts.layers) if spec.layers is None else spec.layers
    missing = [l for l in layers if l not in acts.layers]
    if missing:
        raise BadInputError(f"the model has no residual layer {missing[0]} (layers 0..{acts.n_layers})")
    y = np.asarray(acts.labels)
    train, test = paper_split(len(y), spec.seed, spec.test_size)
    if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
        raise BadInputError("the training or held-out split holds one class only; raise --limit")

    fitter = ProbeFitter(spec.probe, spec.seed)
    units, randoms, raw_norms, centered_norms, readable = [], [], [], [], []
    for layer in layers:
        X = acts.layer(layer)
        probe = fitter.fit(X[train], y[train])
        units.append(unit(probe.direction()))
        rng = np.random.default_rng([int(spec.random_seed), int(layer)])
        randoms.append(unit(rng.standard_normal(X.shape[1])))
        Xt = X[train].astype(np.float64)
        raw_norms.append(float(np.median(np.linalg.norm(Xt, axis=1))))
        centered_norms.append(float(np.median(np.linalg.norm(Xt - Xt.mean(axis=0), axis=1))))
        readable.append(float(np.mean(probe.predict(X[test]) == y[test])))
    norms = centered_norms if spec.norm == "centered" else raw_norms
    extract_s = time.perf_counter() - t0

    cap = Capture(lm)
    answer = cap.tokenized(lambda tok: resolve_answer_words(tok, words))
    ids, _, _ = cap.encode_samples(samples, ex.max_tokens, chat_template=ex.chat_template)
    test_ids = [ids[i] for i in test]
    yt = y[test]
    n0 = len(answer.ids[0])
    n_runs = 1 + 2 * len(layers) * len(spec.alphas)
    tracker = ProgressTracker(progress, "steer", n_runs * len(test_ids))
    tracker.update(0)
    done_runs = [0]

    def p_class1(edits=()) -> np.ndarray:
        reader = AnswerLogits(lm.model, lm.n_layers, answer.all_ids)
        base = done_runs[0] * len(test_ids)
        got = run_all(cap, test_ids, reader, batch_size=batch_size, edits=edits,
                      on_batch=lambda done: tracker.update(base + done))
        done_runs[0] += 1
        return two_way_p1(got["final"], n0)

    t1 = time.perf_counter()
    p_base = p_class1()
    pred_base = p_base > 0.5
    metrics = ("delta_all", "delta_all_sem", "delta_class1", "delta_class1_sem", "delta_class0", "delta_class0_sem",
               "accuracy", "flipped")
    effects = {d: {m: [] for m in metrics} for d in DIRECTIONS}
    excess = {g: {"mean": [], "sem": []} for g in ("class1", "all")}
    for li, layer in enumerate(layers):
        rows = {d: {m: [] for m in metrics} for d in DIRECTIONS}
        ex_rows = {g: {"mean": [], "sem": []} for g in excess}
        for alpha in spec.alphas:
            deltas = {}
            for d, vec in (("probe", units[li]), ("random", randoms[li])):
                push = torch.from_numpy((alpha * norms[li] * vec).astype(np.float32))
                p = p_class1([AddAtLast(("residual", int(layer)), push)])
                delta = p - p_base
                deltas[d] = delta
                r = rows[d]
                for name, mask in (("delta_all", slice(None)), ("delta_class1", yt == 1), ("delta_class0", yt == 0)):
                    mean, sem = _stats(delta[mask])
                    r[name].append(mean)
                    r[f"{name}_sem"].append(sem)
                r["accuracy"].append(float(np.mean((p > 0.5) == (yt == 1))))
                r["flipped"].append(float(np.mean((p > 0.5) != pred_base)))
            diff = deltas["probe"] - deltas["random"]
            for g, mask in (("class1", yt == 1), ("all", slice(None))):
                mean, sem = _stats(diff[mask])
                ex_rows[g]["mean"].append(mean)
                ex_rows[g]["sem"].append(sem)
        for d in DIRECTIONS:
            for m in metrics:
                effects[d][m].append(rows[d][m])
        for g in excess:
            for m in ("mean", "sem"):
                excess[g][m].append(ex_rows[g][m])
    steer_s = time.perf_counter() - t1

    baseline = {"p1_mean": float(p_base.mean()), "p1_class1": float(p_base[yt == 1].mean()),
                "p1_class0": float(p_base[yt == 0].mean()), "accuracy": float(np.mean(pred_base == (yt == 1)))}
    flat = {
        "model": ex.model.source, "model_label": lm.label, "model_fingerprint": acts.spec.get("model_fingerprint"),
        "quant": ex.model.quant, "dataset": samples.name, "category": samples.category,
        "label_names": list(samples.label_names), "limit": ex.dataset.limit, "noise": ex.dataset.noise.kind,
        "hook": "residual", "pooling": "last", "max_tokens": ex.max_tokens, "probe": spec.probe,
        "probe_name": PROBE_NAMES[spec.probe], "seed": spec.seed, "test_size": spec.test_size,
        "random_seed": spec.random_seed, "norm": spec.norm, "answer_cue": spec.answer_cue, "prompt": samples.template,
        "activation_key": acts.key, "n_train": int(len(train)), "n_test": int(len(test)),
        "chat_template": bool(ex.chat_template),
    }
    notes = [
        f"direction: {PROBE_NAMES[spec.probe]} fitted on the {len(train)} training samples of each layer "
        f"(seed {spec.seed}); effects measured on the {len(test)} held-out samples",
        f"push = alpha × ({NORM_TEXT[spec.norm]}, training split, per layer) × (unit direction), added to the "
        "last token only; the random control uses one seeded random unit direction per layer, same norm",
        "largest effect: the layer and alpha with the largest paired probe − random change on class-1 samples "
        "(picked after looking, so its z-score is optimistic)",
        f"p(class 1) = p({answer.words[1]!r}) / (p({answer.words[0]!r}) + p({answer.words[1]!r})), each word "
        "summed over its case and leading-space tokens", *answer.notes, *fitter.notes(),
    ]
    return SteeringResult(
        key=key, spec=flat, created_ts=time.time(), notes=tuple(notes),
        timing={"extract_s": round(extract_s, 3), "steer_s": round(steer_s, 3),
                "prompts_per_s": round(n_runs * len(test_ids) / steer_s, 3) if steer_s > 0 else None},
        layers=tuple(int(l) for l in layers), alphas=tuple(spec.alphas),
        answer={"words": list(answer.words), "ids": [list(i) for i in answer.ids],
                "tokens": [list(t) for t in answer.tokens]},
        baseline=baseline, probe_accuracy=readable, norms=norms, raw_norms=raw_norms,
        centered_norms=centered_norms, effects=effects, excess=excess,
        random_cosine=[float(u @ r) for u, r in zip(units, randoms)],
        summary=_summary(layers, spec.alphas, effects, excess, readable, len(test), int((yt == 1).sum())),
    )


def _summary(layers, alphas, effects, excess, readable, n_test: int, n_class1: int) -> dict[str, Any]:
    paired = np.asarray(excess["class1"]["mean"], dtype=float)
    li, ai = np.unravel_index(int(np.nanargmax(np.abs(paired))), paired.shape)
    e, s = excess["class1"]["mean"][li][ai], excess["class1"]["sem"][li][ai]
    best = {
        "layer": int(layers[li]), "alpha": float(alphas[ai]),
        "probe_delta_class1": effects["probe"]["delta_class1"][li][ai],
        "probe_delta_class1_sem": effects["probe"]["delta_class1_sem"][li][ai],
        "random_delta_class1": effects["random"]["delta_class1"][li][ai],
        "random_delta_class1_sem": effects["random"]["delta_class1_sem"][li][ai],
        "excess_class1": e, "excess_class1_sem": s, "z": (abs(e) / s) if s > 1e-12 else None,
    }
    per_layer = np.nanmax(np.abs(np.asarray(excess["all"]["mean"], dtype=float)), axis=1)
    return {"best": best, "n_test": n_test, "n_test_class1": n_class1,
            "most_readable_layer": int(layers[int(np.argmax(readable))]),
            "most_steerable_layer": int(layers[int(np.nanargmax(per_layer))]),
            "max_excess_by_layer": [float(v) for v in per_layer]}


def list_steering_results(store: Store) -> list[SteeringResult]:
    """Every stored steering analysis, newest first."""
    out = []
    for data in store.list_results(STEER_KIND):
        try:
            out.append(SteeringResult.from_dict(data, cached=True))
        except BadInputError:
            continue
    return sorted(out, key=lambda r: r.created_ts, reverse=True)
