"""Answer-word resolution on SentencePiece-style (Metaspace) and byte-level BPE tokenizers."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from concept_depth.analyses.expression import case_variants, resolve_answer_words
from concept_depth.core.errors import BadInputError
from concept_depth.models.tiny import build_tokenizer


def metaspace_unigram() -> PreTrainedTokenizerFast:
    """SentencePiece-style tokenizer: '▁' marks a leading space, prepended to the first word."""
    pieces = ["▁Yes", "▁yes", "Yes", "▁YES", "▁No", "▁no", "No", "▁a", "a", "▁Answer", "Answer", ":", "▁",
              "\n", "▁True", "true", "▁False"] + list("YesNoTrFlsuAnwr")
    vocab = [("<unk>", 0.0), ("<pad>", 0.0)] + [(p, -float(i + 1)) for i, p in enumerate(dict.fromkeys(pieces))]
    tok = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>")


def byte_level_bpe() -> PreTrainedTokenizerFast:
    """GPT-2-style tokenizer: 'Ġ' marks a leading space; trained offline on a tiny corpus."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["Yes yes No no Answer: Yes. Answer: No. True False"] * 20 + ["YES", "Yes", "No"] * 10,
                            trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def test_case_variants():
    assert case_variants("yes") == ["yes", "Yes", "YES"]
    assert case_variants("No") == ["No", "no", "NO"]


def test_metaspace_finds_space_and_case_variants():
    tok = metaspace_unigram()
    res = resolve_answer_words(tok, ("No", "Yes"))
    assert set(res.tokens[1]) == {"▁Yes", "▁yes", "Yes", "▁YES"}
    assert set(res.tokens[0]) == {"▁No", "▁no", "No"}
    assert not set(res.ids[0]) & set(res.ids[1])
    assert res.fallback == (False, False)
    # every id really is the word after a space in running text
    assert tok.encode("a Yes", add_special_tokens=False)[-1] in res.ids[1]


def test_byte_level_finds_space_and_case_variants():
    tok = byte_level_bpe()
    res = resolve_answer_words(tok, ("No", "Yes"))
    assert {"ĠYes", "Yes", "Ġyes", "yes", "YES"} <= set(res.tokens[1])
    assert {"ĠNo", "No", "Ġno", "no"} <= set(res.tokens[0])
    assert tok.encode("Answer: Yes", add_special_tokens=False)[-1] in res.ids[1]
    assert tok.encode("Answer: No", add_special_tokens=False)[-1] in res.ids[0]


@pytest.mark.parametrize("style,space", [("metaspace", "▁"), ("bytelevel", "Ġ")])
def test_tiny_model_tokenizers(style, space):
    tok = build_tokenizer(style)
    res = resolve_answer_words(tok, ("no", "yes"))
    assert f"{space}yes" in res.tokens[1] and f"{space}no" in res.tokens[0]
    for group, word in zip(res.ids, ("no", "yes")):
        for i in group:  # each id decodes to the word, whatever the space marker
            assert tok.decode([i]).strip().lower() == word


def test_no_single_token_is_a_clear_error():
    with pytest.raises(BadInputError, match="single token"):
        resolve_answer_words(metaspace_unigram(), ("Negative", "Positive"))


def test_multi_token_word_uses_first_token_fallback():
    tok = byte_level_bpe()
    res = resolve_answer_words(tok, ("Nope", "Yes"))  # "Nope" is several tokens here
    assert res.fallback == (True, False) and res.notes
    assert res.ids[0] and not set(res.ids[0]) & set(res.ids[1])
    with pytest.raises(BadInputError, match="Nope"):
        resolve_answer_words(tok, ("Nope", "Yes"), allow_fallback=False)


@pytest.mark.parametrize("words", [("Yes", "yes"), ("Yes",), ("", "No")])
def test_bad_word_pairs(words):
    with pytest.raises(BadInputError):
        resolve_answer_words(byte_level_bpe(), words)
