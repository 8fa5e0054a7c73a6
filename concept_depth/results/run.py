"""Run results and their JSON form (schema ``concept-depth/result@1``).

A :class:`RunResult` is what ``python -m concept_depth run`` writes, what the app's
figures take, and what the Runs page imports from files made elsewhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar

from ..core.errors import BadInputError
from ..core.specs import RunSpec
from ..stats.depth import DepthMetrics
from .base import Result, iso_time, json_safe, parse_time
from .schema import MAX_RESULT_BYTES, RESULT_SCHEMA, parse_result_bytes, validate_result_document
from .settings import differ_only_in, run_spec_from_flat

#: The store's result kind of probe runs (imports of run results made elsewhere: ``import``).
RUN_KIND = "run"
#: Settings a run's flat ``spec`` block does not carry (so it cannot contradict its stored RunSpec there).
NOT_IN_FLAT = ("extraction.model.revision", "extraction.model.trust_remote_code", "extraction.dataset.path",
               "extraction.dataset.text_col", "extraction.dataset.label_col", "probe", "depth")

__all__ = ["RESULT_SCHEMA", "MAX_RESULT_BYTES", "RUN_KIND", "LayerScore", "DepthMetrics", "RunResult", "json_safe",
           "parse_result_bytes", "validate_result_document"]


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
class RunResult(Result):
    """One probe run: per-layer scores and depth metrics. ``spec`` is the flat spec block of the JSON schema;
    everything else of the JSON (activation key, the RunSpec as ``run_spec``, per-sample outcomes, fidelity,
    notes, origin, ``created_ts``...) is kept in ``extra`` as it is written."""

    SCHEMA: ClassVar[str] = RESULT_SCHEMA
    KIND: ClassVar[str] = RUN_KIND
    REQUEST: ClassVar[type] = RunSpec
    WHAT: ClassVar[str] = "a concept-depth result"

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

    def __post_init__(self) -> None:
        if not self.created and self.created_ts:
            object.__setattr__(self, "created", iso_time(self.created_ts))

    # ---- the common result fields, kept in ``extra`` ------------------------------------------
    @property
    def created_ts(self) -> float:
        ts = self.extra.get("created_ts")
        return float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else parse_time(self.created)

    @property
    def origin(self) -> str:
        """``probe``, ``expression``, ``sweep`` or ``import``; runs stored before the field existed are probe runs."""
        return str(self.extra.get("origin") or "probe")

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(str(n) for n in (self.extra.get("notes") or ()))

    @property
    def cached(self) -> bool:
        return bool(self.timing.get("cached"))

    @cached_property
    def request(self) -> RunSpec | None:
        """The RunSpec that made this run: as stored with it, else read from its flat spec (older runs).
        None when the two contradict each other (a hand-edited file): such a run pairs with nothing."""
        stored = self.request_from(self.extra.get("run_spec"))
        flat = run_spec_from_flat(self.spec, self.extra.get("probe_spec"), self.extra.get("depth_spec"))
        if stored is None:
            return flat
        if flat is not None and not differ_only_in(stored, flat, NOT_IN_FLAT):
            return None
        return stored

    def as_cached(self) -> "RunResult":
        return replace(self, timing=dict(self.timing, cached=True))

    def with_origin(self, origin: str) -> "RunResult":
        return replace(self, extra=dict(self.extra, origin=origin))

    # ---- convenience -------------------------------------------------
    @property
    def layer_numbers(self) -> list[int]:
        return [s.layer for s in self.layers]

    def metric(self, name: str) -> list[float | None]:
        return [getattr(s, name) for s in self.layers]

    # ---- JSON --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {
            "schema": RESULT_SCHEMA,
            "key": self.key,
            "created": self.created,
            "spec": dict(self.spec),
            "n_samples": self.n_samples,
            "n_layers": self.n_layers,
            "hidden_size": self.hidden_size,
            "layers": [dict(asdict(s), selectivity=s.selectivity) for s in self.layers],
            "depth": asdict(self.depth),
            "timing": dict(self.timing),
        }
        out.update(self.extra)
        return json_safe(out)

    @classmethod
    def parse(cls, text: str | bytes, name: str = "result file") -> dict[str, Any]:
        """An untrusted result file: size limit, finite numbers, the ``concept-depth/result@1`` schema."""
        return parse_result_bytes(text, name)

    @classmethod
    def from_dict(cls, data: dict[str, Any], cached: bool = False) -> "RunResult":
        """From a stored or validated document (files from elsewhere: :meth:`from_json` / :meth:`load`,
        which validate against the schema first)."""
        data = cls.check_schema(data)
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
            known = {"schema", "key", "created", "spec", "n_samples", "n_layers", "hidden_size", "layers", "depth",
                     "timing"}
            timing = dict(data.get("timing") or {})
            if cached:
                timing["cached"] = True
            return cls(
                spec=dict(data["spec"]), n_samples=int(data["n_samples"]), n_layers=int(data["n_layers"]),
                hidden_size=int(data["hidden_size"]), layers=layers, depth=depth, timing=timing,
                key=str(data.get("key", "")), created=str(data.get("created", "")),
                extra={k: v for k, v in data.items() if k not in known},
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise BadInputError(f"malformed result JSON: {str(exc)[:200]}") from exc
