"""What every result is, and its JSON: one timestamp, one NaN rule, one schema check.

Every result of every analysis (a probe run, an expression analysis, transfer, directions,
steering) is a :class:`Result`:

- ``key``: its cache key; ``spec``: a flat description for labels and tables (model, dataset,
  bit width...); ``request``: the typed, frozen spec that made it (None for a result stored before
  results kept it), which is what "same settings" is decided on
  (:func:`concept_depth.results.settings.differ_only_in`);
- ``created_ts``: when it was computed (UNIX seconds; the one timestamp: ``created`` is its ISO text);
  ``origin``: who asked for it (``probe``, ``expression``, ``sweep``, ``import``...);
  ``timing``, ``notes``; ``cached``: True when it came from the store without computing.

JSON: :meth:`Result.to_json` writes non-finite floats as null (JSON has no NaN) and refuses any
left; :meth:`Result.from_json` / :meth:`Result.load` read untrusted text strictly (size, UTF-8,
finite numbers) and check the ``schema`` tag before anything else. :class:`AnalysisResult` is the
dataclass form the analyses share (their own fields are plain JSON: nested lists and dicts).
"""

from __future__ import annotations

import json
import math
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..core.drawing import Drawable
from ..core.errors import BadInputError
from ..core.specs import Spec
from .labels import spec_label
from .schema import check_result_size, parse_json_bytes

R = TypeVar("R", bound="Result")


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (an AUC undefined on one class) by None: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def iso_time(ts: float) -> str:
    """UNIX seconds as ISO 8601 text in UTC (``2026-12-04T17:55:52+00:00``); "" for 0."""
    return datetime.fromtimestamp(float(ts), timezone.utc).isoformat(timespec="seconds") if ts else ""


def parse_time(text: str) -> float:
    """ISO 8601 text back to UNIX seconds (0.0 when it is not a time)."""
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except (TypeError, ValueError):
        return 0.0


class Result(Drawable):
    """The protocol every result follows (see the module docstring) and its JSON.

    Subclasses set ``SCHEMA`` (``concept-depth/<kind>@1``), ``KIND`` (the store's result kind) and
    ``REQUEST`` (the spec class of ``request``), and provide ``key``, ``spec``, ``request``,
    ``created_ts``, ``origin``, ``timing``, ``notes`` and ``cached`` as fields or properties.
    """

    SCHEMA: ClassVar[str] = ""
    KIND: ClassVar[str] = ""
    REQUEST: ClassVar[type[Spec] | None] = None
    #: What a document of another kind is not, in messages ("not a transfer result").
    WHAT: ClassVar[str] = ""

    # ---- shared behaviour ------------------------------------------------------------------
    @property
    def label(self) -> str:
        """``model · dataset · N-bit[, noise][, chat template]`` for legends and pickers."""
        return spec_label(self.spec)  # type: ignore[attr-defined]

    @property
    def created(self) -> str:
        """When it was computed, as ISO text (from ``created_ts``)."""
        return iso_time(self.created_ts)  # type: ignore[attr-defined]

    def as_cached(self: R) -> R:
        """The same result, marked as read from the store."""
        return replace(self, cached=True)  # type: ignore[type-var]

    def with_origin(self: R, origin: str) -> R:
        """The same result, asked for by ``origin`` now."""
        return replace(self, origin=origin)  # type: ignore[type-var]

    # ---- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError(type(self).__name__)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(json_safe(self.to_dict()), indent=indent, allow_nan=False)

    @classmethod
    def check_schema(cls, data: Any) -> dict[str, Any]:
        """``data`` if it is a JSON object of this result's schema, else one BadInputError line."""
        what = cls.WHAT or (f"an {cls.KIND} result" if cls.KIND[:1] in "aeiou" else f"a {cls.KIND} result")
        if not isinstance(data, dict):
            raise BadInputError(f"not {what} (a JSON {type(data).__name__ if data is not None else 'null'}, "
                                "not an object)")
        if data.get("schema") != cls.SCHEMA:
            raise BadInputError(f"not {what} (schema {str(data.get('schema'))[:60]!r}, expected {cls.SCHEMA!r})")
        return data

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any], cached: bool = False) -> R:
        raise NotImplementedError(cls.__name__)

    @classmethod
    def from_json(cls: type[R], text: str | bytes, name: str = "result file") -> R:
        """Parse an untrusted result file strictly (size, UTF-8, finite numbers, schema)."""
        return cls.from_dict(cls.parse(text, name))

    @classmethod
    def parse(cls, text: str | bytes, name: str = "result file") -> dict[str, Any]:
        """The JSON document of an untrusted file of this kind (what :meth:`from_json` reads)."""
        return cls.check_schema(parse_json_bytes(text, name))

    @classmethod
    def load(cls: type[R], path: str | Path) -> R:
        path = Path(path)
        try:
            check_result_size(path.stat().st_size, path.name)
            data = path.read_bytes()
        except OSError as exc:
            raise BadInputError(f"cannot read {path}: {exc.strerror}") from None
        return cls.from_json(data, path.name)

    @classmethod
    def request_from(cls, data: Any, *, strict: bool = False) -> Spec | None:
        """The typed spec stored as ``data`` (None when absent or, unless ``strict``, unreadable:
        a result stored before that spec's fields changed still loads)."""
        if cls.REQUEST is None or not isinstance(data, dict):
            return None
        try:
            return cls.REQUEST.from_dict(data, strict=strict)
        except (BadInputError, TypeError, KeyError, ValueError, AttributeError):
            if strict:
                raise
            return None


@dataclass(frozen=True, kw_only=True)
class AnalysisResult(Result):
    """The common fields as a frozen dataclass; an analysis' own fields follow in its subclass and are
    written to JSON as they are (tuples as lists, the ``request`` spec as its dict)."""

    key: str
    spec: dict[str, Any]
    request: Any = None
    created_ts: float = 0.0
    origin: str = ""
    timing: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": self.SCHEMA}
        for f in fields(self):
            if f.name == "cached":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Spec):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = [asdict(v) if is_dataclass(v) else v for v in value]
            out[f.name] = value
        return out

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Hook: fill in fields a result stored by an older version lacks (default: nothing)."""
        return data

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any], cached: bool = False) -> R:
        data = cls.upgrade(dict(cls.check_schema(data)))  # type: ignore[attr-defined]
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        try:
            for f in fields(cls):  # type: ignore[arg-type]
                if f.name == "cached" or f.name not in data:
                    continue
                value = data[f.name]
                if f.name == "request":
                    value = cls.request_from(value)
                elif isinstance(value, list) and typing.get_origin(hints[f.name]) is tuple:
                    value = tuple(value)
                kwargs[f.name] = value
            return cls(**kwargs, cached=cached)  # type: ignore[call-arg]
        except (TypeError, ValueError, KeyError) as exc:
            raise BadInputError(f"malformed {cls.KIND} result JSON: {str(exc)[:200]}") from None


__all__ = ["Result", "AnalysisResult", "json_safe", "iso_time", "parse_time"]
