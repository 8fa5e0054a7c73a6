"""Run results and their JSON form (schema ``concept-depth/result@1``).

A :class:`RunResult` is what ``python -m concept_depth run`` writes, what the app's
figures take, and what the Runs page imports from files made elsewhere.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.drawing import Drawable
from ..core.errors import BadInputError
from .labels import spec_label
from .schema import MAX_RESULT_BYTES, RESULT_SCHEMA, check_result_size, parse_result_bytes, validate_result_document

__all__ = ["RESULT_SCHEMA", "MAX_RESULT_BYTES", "LayerScore", "DepthMetrics", "RunResult", "json_safe",
           "parse_result_bytes", "validate_result_document"]


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (an AUC undefined on one class) by None: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class LayerScore:
    """Probe scores of one layer. ``*_std`` are None under the paper protocol (one split)."""

    layer: int
    accuracy: float
    f1: float
    auc: float
    accuracy_std: float | None = None
    f1_std: float | None = None
    auc_std: float | None = None
    control_accuracy: float | None = None
    control_accuracy_std: float | None = None

    @property
    def selectivity(self) -> float | None:
        return None if self.control_accuracy is None else self.accuracy - self.control_accuracy


@dataclass(frozen=True)
class DepthMetrics:
    """Concept-depth metrics; layer fields are None when the concept is not acquired."""

    jumping_point: int | None
    converging_point: int | None
    peak_layer: int | None
    peak_accuracy: float
    chance: float
    acquired: bool
    p_value: float | None = None
    n_layers: int = 0
    definition: dict[str, Any] = field(default_factory=dict)

    def relative(self, layer: int | None) -> float | None:
        return None if layer is None or not self.n_layers else layer / self.n_layers


@dataclass(frozen=True)
class RunResult(Drawable):
    """One probe run. ``spec`` is the flat spec block of the JSON schema."""

    spec: dict[str, Any]
    n_samples: int
    n_layers: int
    hidden_size: int
    layers: tuple[LayerScore, ...]
    depth: DepthMetrics
    timing: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- convenience -------------------------------------------------
    @property
    def layer_numbers(self) -> list[int]:
        return [s.layer for s in self.layers]

    def metric(self, name: str) -> list[float | None]:
        return [getattr(s, name) for s in self.layers]

    @property
    def label(self) -> str:
        return spec_label(self.spec)

    # ---- JSON --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        depth = asdict(self.depth)
        out = {
            "schema": RESULT_SCHEMA,
            "key": self.key,
            "created": self.created,
            "spec": dict(self.spec),
            "n_samples": self.n_samples,
            "n_layers": self.n_layers,
            "hidden_size": self.hidden_size,
            "layers": [dict(asdict(s), selectivity=s.selectivity) for s in self.layers],
            "depth": depth,
            "timing": dict(self.timing),
        }
        out.update(self.extra)
        return json_safe(out)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        """From a stored or validated document (files from elsewhere: :meth:`from_json` / :meth:`load`,
        which validate against the schema first)."""
        if not isinstance(data, dict):
            raise BadInputError(f"not a concept-depth result (a JSON {type(data).__name__}, not an object)")
        if data.get("schema") != RESULT_SCHEMA:
            raise BadInputError(f"not a concept-depth result (schema {str(data.get('schema'))[:60]!r}, "
                                f"expected {RESULT_SCHEMA!r})")
        try:
            layer_fields = set(LayerScore.__dataclass_fields__)
            layers = tuple(LayerScore(**{k: v for k, v in d.items() if k in layer_fields}) for d in data["layers"])
            depth_fields = set(DepthMetrics.__dataclass_fields__)
            depth = DepthMetrics(**{k: v for k, v in data["depth"].items() if k in depth_fields})
            if not layers or not all(isinstance(s.layer, int) and isinstance(s.accuracy, (int, float))
                                     for s in layers):
                raise ValueError("layers need whole layer numbers and accuracies")
            if not isinstance(depth.peak_accuracy, (int, float)) or not isinstance(depth.chance, (int, float)):
                raise ValueError("depth needs peak_accuracy and chance numbers")
            known = {"schema", "key", "created", "spec", "n_samples", "n_layers", "hidden_size", "layers", "depth", "timing"}
            return cls(
                spec=dict(data["spec"]), n_samples=int(data["n_samples"]), n_layers=int(data["n_layers"]),
                hidden_size=int(data["hidden_size"]), layers=layers, depth=depth,
                timing=dict(data.get("timing") or {}), key=str(data.get("key", "")),
                created=str(data.get("created", "")),
                extra={k: v for k, v in data.items() if k not in known},
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise BadInputError(f"malformed result JSON: {str(exc)[:200]}") from exc

    @classmethod
    def from_json(cls, text: str | bytes, name: str = "result file") -> "RunResult":
        """Parse an untrusted result file: size limit, finite numbers, schema (one BadInputError line)."""
        return cls.from_dict(parse_result_bytes(text, name))

    @classmethod
    def load(cls, path: str | Path) -> "RunResult":
        path = Path(path)
        try:
            check_result_size(path.stat().st_size, path.name)
            data = path.read_bytes()
        except OSError as exc:
            raise BadInputError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_json(data, path.name)
