"""The JSON form shared by the analyses beyond the paper (transfer, directions, steering).

Each result is a frozen dataclass with its own schema name (``concept-depth/<kind>@1``):
``key`` (its cache key), a flat ``spec`` for labels and tables, the analysis' own fields
(nested lists, so the JSON is plain), ``notes`` and ``timing``. ``to_dict`` / ``from_dict``
/ ``to_json`` / ``load`` are written once here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..core.drawing import Drawable
from ..core.errors import BadInputError
from ..results.labels import spec_label
from ..results.run import json_safe

R = TypeVar("R", bound="AnalysisResult")


@dataclass(frozen=True)
class AnalysisResult(Drawable):
    """Common fields: ``key``, flat ``spec``, ``created_ts``, ``timing``, ``notes``; ``cached`` is
    True when the result came from the store without computing (not written to JSON)."""

    SCHEMA: ClassVar[str] = ""
    KIND: ClassVar[str] = ""

    key: str
    spec: dict[str, Any]
    created_ts: float = 0.0
    timing: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cached: bool = False

    @property
    def label(self) -> str:
        """``model · dataset · N-bit`` (datasets joined by ``+`` for transfer)."""
        return spec_label(self.spec)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": self.SCHEMA}
        for f in fields(self):
            if f.name == "cached":
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return json_safe(out)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any], cached: bool = False) -> R:
        if not isinstance(data, dict) or data.get("schema") != cls.SCHEMA:
            got = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise BadInputError(f"not a {cls.KIND} result (schema {got!r}, expected {cls.SCHEMA!r})")
        kwargs: dict[str, Any] = {}
        try:
            for f in fields(cls):
                if f.name == "cached" or f.name not in data:
                    continue
                value = data[f.name]
                kwargs[f.name] = tuple(value) if isinstance(value, list) and str(f.type).startswith("tuple") else value
            return cls(**kwargs, cached=cached)
        except TypeError as exc:
            raise BadInputError(f"malformed {cls.KIND} result JSON: {exc}") from exc

    @classmethod
    def from_json(cls: type[R], text: str) -> R:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise BadInputError(f"not valid JSON: {exc}") from exc

    @classmethod
    def load(cls: type[R], path: str | Path) -> R:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
