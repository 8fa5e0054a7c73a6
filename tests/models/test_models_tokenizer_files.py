"""The added tokens written into tokenizer_config.json (``record_added_tokens``) give the same tokenizer as
transformers' own folder, which makes it parse tokenizer.json twice on every load (2 s for Gemma)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import transformers

from concept_depth.models.embedded import EMBEDDED_MODELS
from concept_depth.models.tokenizer_files import record_added_tokens

TEXTS = ["A coin is heads up. Jamal flips the coin. Is the coin still heads up? Answer:",
         "  héllo wörld\n\ttabs 123 4567 ünïcödé <bos> <eos> <pad> <unk> <mask> <start_of_turn>user\n"]


def _same_tokenizer(a, b) -> None:
    assert type(a) is type(b) and a.get_vocab() == b.get_vocab() and len(a) == len(b)
    names = [{i: str(t) for i, t in tok.added_tokens_decoder.items()} for tok in (a, b)]
    assert names[0] == names[1]
    assert [t.__getstate__() for t in a.added_tokens_decoder.values()] == \
        [t.__getstate__() for t in b.added_tokens_decoder.values()]
    assert a.special_tokens_map == b.special_tokens_map and a.all_special_ids == b.all_special_ids
    assert a.padding_side == b.padding_side and a.bos_token_id == b.bos_token_id and a.eos_token_id == b.eos_token_id
    assert a(TEXTS)["input_ids"] == b(TEXTS)["input_ids"]
    assert a(TEXTS, add_special_tokens=False)["input_ids"] == b(TEXTS, add_special_tokens=False)["input_ids"]
    ids = a(TEXTS[1])["input_ids"]
    assert a.decode(ids) == b.decode(ids)
    assert a.decode(ids, skip_special_tokens=True) == b.decode(ids, skip_special_tokens=True)


def _check_folder(folder: Path) -> None:
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("added_tokens_decoder", None)  # as transformers 5 saves it
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    before = transformers.AutoTokenizer.from_pretrained(str(folder))
    assert record_added_tokens(folder) is True
    written = json.loads((folder / "tokenizer_config.json").read_text())
    assert {k: v for k, v in written.items() if k != "added_tokens_decoder"} == config  # nothing else changed
    added = json.loads((folder / "tokenizer.json").read_text())["added_tokens"]
    assert len(written["added_tokens_decoder"]) == len(added)
    assert record_added_tokens(folder) is False  # once
    _same_tokenizer(before, transformers.AutoTokenizer.from_pretrained(str(folder)))


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_a_tiny_tokenizer_is_the_same_with_its_added_tokens_recorded(tiny_models, tmp_path, arch):
    tiny_models(arch).tokenizer.save_pretrained(str(tmp_path))
    _check_folder(tmp_path)


def test_a_folder_without_the_files_or_added_tokens_is_left_alone(tmp_path):
    assert record_added_tokens(tmp_path) is False
    (tmp_path / "tokenizer_config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text(json.dumps({"added_tokens": []}))
    assert record_added_tokens(tmp_path) is False and (tmp_path / "tokenizer_config.json").read_text() == "{}"


@pytest.mark.slow
def test_the_embedded_gemma_tokenizer_is_the_same_with_its_added_tokens_recorded(embedded_model, model_cache, tmp_path):
    converted = EMBEDDED_MODELS["embedded"].converted_dir(model_cache)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (converted / name).is_file():
            shutil.copy2(converted / name, tmp_path / name)
    _check_folder(tmp_path)
