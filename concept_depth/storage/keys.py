"""Cache keys and result kinds are names, never paths: one definition, used by every storage module.

A key is letters, digits and ``. _ - : @ + =`` (at most 200, not starting with a dot), so
nothing addressed by a key (``arrays/<key>/``, ``results/<kind>/<key>.json``, a lock file)
can lie outside the cache folder.
"""

from __future__ import annotations

import re

from ..core.errors import BadInputError

KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:@+=-]{0,199}")
KIND = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def check_key(key: str, what: str = "cache key") -> str:
    """``key`` if it is a plain name (letters, digits, ``. _ - : @ + =``); else BadInputError."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        shown = repr(key)[:80]
        raise BadInputError(f"{shown} is not a {what}: keys are names made of letters, digits and . _ - : @ + = "
                            "(see `cache list`), never paths")
    return key


def is_key(name: object) -> bool:
    """True when ``name`` is a plain cache key (see :func:`check_key`)."""
    return isinstance(name, str) and KEY.fullmatch(name) is not None


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not KIND.fullmatch(kind):
        raise BadInputError(f"{str(kind)[:40]!r} is not a result kind")
    return kind


def index_key(kind: str, key: str) -> str:
    """The index row of an entry: ``act/<key>/meta`` for activations, ``res/<kind>/<key>`` for results."""
    if kind == "activations":
        return f"act/{check_key(key)}/meta"
    return f"res/{check_kind(kind)}/{check_key(key)}"
