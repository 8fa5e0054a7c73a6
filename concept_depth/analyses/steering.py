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
from typing import Any, ClassVar, Sequence

import numpy as np

from ..capture import Capture
from ..core.choices import PROBE_NAMES
from ..core.errors import BadInputError
from ..core.options import (
    DATASET_OPTIONS,
    EXTRACTION_OPTIONS,
    MODEL_OPTIONS,
    Option,
    OptionGroup,
    numbers,
    text_escapes,
)
from ..core.progress import ProgressTracker
from ..core.specs import ExtractionSpec, Spec
from ..datasets import SampleSet
from ..probing import paper_split
from ..results.base import AnalysisResult
from .common import ProbeFitter, analysis_key, check_probe, fmt, probe_options, timing_line
from .expression.answer_words import resolve_answer_words
from .expression.spec import parse_answer_words
from .protocol import Analysis, Session, run_analysis
from .steering_effects import Pusher, effect_tables, layer_directions, summary

STEER_KIND = "steer"
STEER_SCHEMA = "concept-depth/steering@1"
DEFAULT_ALPHAS = (-4.0, -2.0, 2.0, 4.0)
DEFAULT_CUE = "\nAnswer:"
#: How the unit of alpha is measured (see the module docstring).
NORMS = ("centered", "raw")
NORM_TEXT = {"centered": "median distance of the last-token vectors from their mean",
             "raw": "median last-token residual norm"}

STEER_OPTIONS = OptionGroup("steering", (
    Option("alpha", "-4,-2,2,4", help="comma-separated push strengths in units of the layer's typical residual norm"),
    Option("layers", None, help="comma-separated residual layers to steer (default all; 0 = embeddings)"),
    *probe_options("mass-mean", linear=True, what="where the direction comes from"),
    Option("random_seed", 0, kind=int, help="seed of the random control directions"),
    Option("norm", "centered", choices=NORMS,
           help="unit of alpha: centered = median distance of the layer's last-token vectors from their mean "
                "(default); raw = their median norm (dominated by a few huge constant dimensions in some models)"),
    Option("answer_words", None, help="class-0,class-1 answer words (default: the dataset's own)"),
    Option("answer_cue", "\\nAnswer:", help="text ending every prompt before the answer"),
))
#: Steering reads and pushes the residual stream's last token: no hook or pooling to choose.
STEER_TEXT_OPTIONS = EXTRACTION_OPTIONS.without("hook", "pooling")


@dataclass(frozen=True)
class SteerSpec(Spec):
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

    OPTIONS: ClassVar = (MODEL_OPTIONS, DATASET_OPTIONS, STEER_OPTIONS, STEER_TEXT_OPTIONS)

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

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "SteerSpec":
        """``alpha`` and ``layers`` are comma lists (or sequences); ``answer_words`` "No,Yes"."""
        v = STEER_OPTIONS.take(values)
        ex = ExtractionSpec.take_options(values)
        layers = v["layers"]
        return cls(extraction=ex, alphas=numbers(v["alpha"], "--alpha"),
                   layers=None if layers in (None, "", "all") else numbers(layers, "--layers", int),
                   probe=v["probe"], seed=int(v["seed"]), random_seed=int(v["random_seed"]),
                   answer_words=parse_answer_words(v["answer_words"]), answer_cue=text_escapes(v["answer_cue"]),
                   norm=v["norm"])


@dataclass(frozen=True, kw_only=True)
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
    summary : ``effect`` (the probe's own effect in the intended direction, and whether it beats the random
        push), ``best`` (the largest paired probe - random difference on class-1 samples), ``n_test``...
    """

    SCHEMA: ClassVar[str] = STEER_SCHEMA
    KIND: ClassVar[str] = STEER_KIND
    REQUEST: ClassVar[type] = SteerSpec

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


def cue_samples(samples: SampleSet, cue: str) -> SampleSet:
    """The samples with ``cue`` appended to their prompt template (the answer follows it)."""
    return replace(samples, template=samples.template + cue)


def _cued(spec: SteerSpec, session: Session) -> tuple[ExtractionSpec, SampleSet, tuple[str, str]]:
    """The extraction of the cued prompts, their samples and the answer words."""
    samples = session.samples(spec.extraction.dataset)
    cued = cue_samples(samples, spec.answer_cue)
    ex = replace(spec.extraction, dataset=replace(spec.extraction.dataset, prompt=cued.template))
    session.use_samples(ex.dataset, cued)
    return ex, cued, spec.answer_words or tuple(samples.answer_words)


def steer_key(spec: SteerSpec, activation_key: str, words: Sequence[str]) -> str:
    return analysis_key(STEER_KIND, activations=activation_key, alphas=list(spec.alphas),
                        layers=None if spec.layers is None else list(spec.layers), probe=spec.probe,
                        seed=int(spec.seed), test_size=float(spec.test_size), random_seed=int(spec.random_seed),
                        answer_words=list(words), cue=spec.answer_cue, norm=spec.norm)


def _key(spec: SteerSpec, session: Session) -> str:
    ex, cued, words = _cued(spec, session)
    return steer_key(spec, session.activation_key(ex, cued), words)


def _checked(spec: SteerSpec, acts, lm) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """The layers to steer and the split, or one BadInputError line for what steering cannot do here."""
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
    return layers, y, train, test


def _compute(spec: SteerSpec, session: Session, key: str) -> SteeringResult:
    t0 = time.perf_counter()
    ex, samples, words = _cued(spec, session)
    lm = session.loader(ex.model)  # loaded first, so the extraction below reuses it
    acts = session.extract(ex, samples)
    layers, y, train, test = _checked(spec, acts, lm)
    fitter = ProbeFitter(spec.probe, spec.seed)
    dirs = layer_directions(acts, layers, y, train, test, fitter, spec.random_seed)
    norms = dirs.centered_norms if spec.norm == "centered" else dirs.raw_norms
    extract_s = time.perf_counter() - t0
    cap = Capture(lm)
    answer = cap.tokenized(lambda tok: resolve_answer_words(tok, words))
    ids, _, _ = cap.encode_samples(samples, ex.max_tokens, chat_template=ex.chat_template)
    test_ids, yt = [ids[i] for i in test], y[test]
    n_runs = 1 + 2 * len(layers) * len(spec.alphas)
    tracker = ProgressTracker(session.progress, "steer", n_runs * len(test_ids))
    tracker.update(0)
    t1 = time.perf_counter()
    pusher = Pusher(lm, cap, test_ids, answer, session.batch_size, tracker)
    p_base = pusher.p_class1()
    effects, excess = effect_tables(pusher, dirs, norms, layers, spec.alphas, yt, p_base)
    steer_s = time.perf_counter() - t1
    return SteeringResult(
        key=key, spec=_flat(spec, ex, samples, lm, acts, len(train), len(test)), request=spec,
        created_ts=time.time(), notes=tuple(_notes(spec, answer, fitter, len(train), len(test))),
        timing={"extract_s": round(extract_s, 3), "steer_s": round(steer_s, 3),
                "prompts_per_s": round(n_runs * len(test_ids) / steer_s, 3) if steer_s > 0 else None},
        layers=tuple(int(l) for l in layers), alphas=tuple(spec.alphas),
        answer={"words": list(answer.words), "ids": [list(i) for i in answer.ids],
                "tokens": [list(t) for t in answer.tokens]},
        baseline={"p1_mean": float(p_base.mean()), "p1_class1": float(p_base[yt == 1].mean()),
                  "p1_class0": float(p_base[yt == 0].mean()), "accuracy": float(np.mean((p_base > 0.5) == (yt == 1)))},
        probe_accuracy=dirs.readable, norms=norms, raw_norms=dirs.raw_norms, centered_norms=dirs.centered_norms,
        effects=effects, excess=excess, random_cosine=[float(u @ r) for u, r in zip(dirs.units, dirs.randoms)],
        summary=summary(layers, spec.alphas, effects, excess, dirs.readable, len(test), int((yt == 1).sum())),
    )


def _flat(spec: SteerSpec, ex: ExtractionSpec, samples: SampleSet, lm, acts, n_train: int, n_test: int) -> dict:
    return {
        "model": ex.model.source, "model_label": lm.label, "model_fingerprint": acts.spec.get("model_fingerprint"),
        "quant": ex.model.quant, "dataset": samples.name, "category": samples.category,
        "label_names": list(samples.label_names), "limit": ex.dataset.limit, "noise": ex.dataset.noise.kind,
        "hook": "residual", "pooling": "last", "max_tokens": ex.max_tokens, "probe": spec.probe,
        "probe_name": PROBE_NAMES[spec.probe], "seed": spec.seed, "test_size": spec.test_size,
        "random_seed": spec.random_seed, "norm": spec.norm, "answer_cue": spec.answer_cue, "prompt": samples.template,
        "activation_key": acts.key, "n_train": int(n_train), "n_test": int(n_test),
        "chat_template": bool(ex.chat_template),
    }


def _notes(spec: SteerSpec, answer, fitter: ProbeFitter, n_train: int, n_test: int) -> list[str]:
    return [
        f"direction: {PROBE_NAMES[spec.probe]} fitted on the {n_train} training samples of each layer "
        f"(seed {spec.seed}); effects measured on the {n_test} held-out samples",
        f"push = alpha × ({NORM_TEXT[spec.norm]}, training split, per layer) × (unit direction), added to the "
        "last token only; the random control uses one seeded random unit direction per layer, same norm",
        "effect: the layer and alpha where the probe's own push moves p(class 1) most the intended way (up for "
        "α > 0, down for α < 0), called an effect only when it beats the random push there by ≥ 2 standard "
        "errors (picked after looking, so its z-score is optimistic)",
        f"p(class 1) = p({answer.words[1]!r}) / (p({answer.words[0]!r}) + p({answer.words[1]!r})), each word "
        "summed over its case and leading-space tokens", *answer.notes, *fitter.notes(),
    ]


def effect_line(result: SteeringResult) -> str:
    """One sentence: the probe's own effect in the intended direction, and whether it is an effect."""
    e = result.summary.get("effect")
    if not e:  # a result stored before the summary led with the intended effect
        return "this stored result has no intended-direction summary; run it again"
    z = "-" if e["z"] is None else f"{e['z']:.1f}"
    verdict = ("an effect: the probe direction moves the answer beyond a random push of the same size"
               if e["found"] else "no effect beyond a random push of the same size")
    return (f"probe direction at layer {e['layer']}, α = {e['alpha']:+g}: p(class 1) moves "
            f"{fmt(e['probe_effect'], 3, True)} ± {fmt(e['probe_effect_sem'])} the intended way (random push "
            f"{fmt(e['random_effect'], 3, True)}; probe − random {fmt(e['beyond_random'], 3, True)} ± "
            f"{fmt(e['beyond_random_sem'])}, z = {z}): {verdict}")


def report(result: SteeringResult) -> str:
    """The effect table (probe / random per layer and alpha), the intended effect first, then the rest."""
    words = result.answer["words"]
    names = result.spec.get("label_names") or ["class 0", "class 1"]
    alphas = list(result.alphas)
    probe, rand = result.effect("probe", "delta_class1"), result.effect("random", "delta_class1")
    lines = [f"Δ p({words[1]}) on held-out {names[1]} samples (mean over samples), probe direction / random direction",
             f"{'layer':>5} {'probe acc':>9} {'unit':>8} " + " ".join(f"{f'α={a:+g} probe/random':>22}" for a in alphas)]
    for i, layer in enumerate(result.layers):
        cells = " ".join(f"{fmt(probe[i, j], 3, True) + ' / ' + fmt(rand[i, j], 3, True):>22}" for j in range(len(alphas)))
        lines.append(f"{layer:>5} {fmt(result.probe_accuracy[i]):>9} {result.norms[i]:>8.1f} {cells}")
    b, base, s = result.summary["best"], result.baseline, result.summary
    z = "-" if b["z"] is None else f"{b['z']:.1f}"
    lines += [
        "", effect_line(result),
        f"baseline: p({words[1]}) = {fmt(base['p1_class1'])} on {names[1]}, {fmt(base['p1_class0'])} on {names[0]} "
        f"samples; answer accuracy {fmt(base['accuracy'])} ({s['n_test']} held-out samples, {s['n_test_class1']} "
        f"{names[1]})",
        f"largest move on {names[1]} samples (probe − random, either way): layer {b['layer']}, α = {b['alpha']:+g}: probe "
        f"{fmt(b['probe_delta_class1'], 3, True)} ± {fmt(b['probe_delta_class1_sem'])}, random "
        f"{fmt(b['random_delta_class1'], 3, True)} ± {fmt(b['random_delta_class1_sem'])}; difference "
        f"{fmt(b['excess_class1'], 3, True)} ± {fmt(b['excess_class1_sem'])} (z = {z})",
        f"most readable layer {s['most_readable_layer']}; most steerable layer (largest |probe − random| over α, "
        f"all samples) {s['most_steerable_layer']}",
        f"{result.spec['model_label']} · {result.spec['dataset']}, probe {result.spec['probe_name']}, "
        f"answer words {words[0]!r} {result.answer['tokens'][0]} / {words[1]!r} {result.answer['tokens'][1]}",
        timing_line(result),
    ]
    return "\n".join(lines + [f"note: {n}" for n in result.notes])


STEERING: Analysis[SteerSpec, SteeringResult] = Analysis(
    kind=STEER_KIND, command="steer", spec=SteerSpec, result=SteeringResult, key=_key, compute=_compute,
    report=report, options=SteerSpec.OPTIONS, help="push the residual stream along the probe direction; does the answer move?",
    description="At each layer (--layers, default all) and each --alpha, adds alpha x (the layer's typical last-token "
                "residual size, --norm) x (the unit probe direction) to the last token's residual stream and measures "
                "how p(class-1 answer word) moves on the held-out samples, against a random direction of the same norm.",
    figure="the effect-by-layer figure", figure_size=(6.5, 6.0))


def run_steer(spec: SteerSpec, **run_options: Any) -> SteeringResult:
    """Fit the directions, then steer every chosen layer by every alpha (and a random control).

    Cached under kind ``steer``; the layer vectors of the cued prompts are cached as activations.
    ``run_options``: the fields of ``Session``.

    Raises
    ------
    BadInputError : an encoder model, a layer the model lacks, answer words the tokenizer cannot spell.
    """
    return run_analysis(STEERING, spec, **run_options)


def list_steering_results(store) -> list[SteeringResult]:
    """Every stored steering analysis, newest first."""
    return STEERING.list(store)
