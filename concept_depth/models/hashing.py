"""sha256 of model files, memoised by (path, size, mtime) so gigabytes are hashed once."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..core.errors import BadInputError
from ..core.files import sha256_file

# files in a model directory that change the numbers
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json", ".model", ".gguf", ".txt", ".tiktoken")


def file_sha256(path: str | os.PathLike, memo_dir: str | os.PathLike | None = None) -> str:
    """sha256 of one file, memoised by (path, size, mtime) when ``memo_dir`` is given."""
    path = Path(path).resolve()
    st = path.stat()
    memo_key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    memo_file = Path(memo_dir) / "hashes.json" if memo_dir else None
    memo: dict[str, str] = {}
    if memo_file and memo_file.exists():
        try:
            memo = json.loads(memo_file.read_text())
        except (OSError, ValueError):
            memo = {}
        if memo_key in memo:
            return memo[memo_key]
    value = sha256_file(path)
    if memo_file:
        memo[memo_key] = value
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(memo))
        tmp.replace(memo_file)
    return value


def dir_sha256(path: str | os.PathLike, memo_dir: str | os.PathLike | None = None) -> str:
    """Combined hash of the weight, config and tokenizer files directly inside ``path``."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(path).iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    if not files:
        raise BadInputError(f"{path} holds no model files (config.json, *.safetensors...)")
    for p in files:
        digest.update(p.name.encode() + b"\0" + file_sha256(p, memo_dir).encode())
    return digest.hexdigest()
