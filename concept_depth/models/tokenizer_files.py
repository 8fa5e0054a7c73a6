"""A saved tokenizer's added tokens, written where transformers reads them first.

transformers 5 saves a tokenizer's added tokens in ``tokenizer.json`` only. Loading such a folder,
it parses the whole ``tokenizer.json`` in Python a second time just to find them (its legacy path
for a ``tokenizer_config.json`` without ``added_tokens_decoder``): for Gemma's 262,144-token
vocabulary about 2 s on every load, a tenth of the quick start. :func:`record_added_tokens` copies the
added tokens into ``tokenizer_config.json`` as ``added_tokens_decoder`` (the form transformers 4
saved), so a load reads them from the small file. The tokenizer is the same either way (a test
compares vocabularies, added and special tokens and encodings).

Standard library only: the tokenizer's second process at conversion loads this file by path
(``models/gguf.py``), without the package's imports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def record_added_tokens(folder: str | os.PathLike) -> bool:
    """Write ``tokenizer.json``'s added tokens into ``tokenizer_config.json`` of ``folder``.

    True when written; False when there is nothing to do (a file missing, no added tokens, or the
    config has them already). The config is replaced whole (temporary file, then rename).
    """
    folder = Path(folder)
    config_path, tokenizer_path = folder / "tokenizer_config.json", folder / "tokenizer.json"
    if not (config_path.is_file() and tokenizer_path.is_file()):
        return False
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if "added_tokens_decoder" in config:
        return False
    added = json.loads(tokenizer_path.read_text(encoding="utf-8")).get("added_tokens")
    if not isinstance(added, list) or not added:
        return False
    decoder = {}
    for token in added:
        token = dict(token)
        decoder[str(token.pop("id"))] = token
    config["added_tokens_decoder"] = decoder
    tmp = config_path.with_name(f".{config_path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, config_path)
    return True


__all__ = ["record_added_tokens"]
