"""Tiny random models with offline tokenizers, for tests and demos.

``build_tiny(arch)`` returns a seeded, randomly initialised model of a real
architecture (3-4 layers, hidden size 64: the smallest bitsandbytes 4-bit accepts) and a fast tokenizer trained on a
small built-in corpus, so tests exercise the same code paths as real models
without any download. Llama and Gemma use a SentencePiece-style (Metaspace) BPE
that prepends ``<s>``; GPT-2 and Qwen use byte-level BPE without a BOS token.
"""

from __future__ import annotations

from functools import lru_cache

from ..core.errors import BadInputError
from ..core.optional import torch, transformers

TINY_ARCHES = ("llama", "gemma", "gpt2", "qwen")

#: Bumped when the tiny builders change (part of the tiny models' fingerprint).
TINY_VERSION = 1

_CORPUS = (
    "The city of Paris is in France. The city of Tokyo is in Japan.",
    "Berlin is the capital of Germany. Madrid is the capital of Spain.",
    "A coin is heads up. Alice flips the coin. Bob does not flip the coin.",
    "Is the coin still heads up? Answer yes or no. The answer is yes.",
    "This movie was wonderful, moving and beautifully acted.",
    "This movie was terrible, boring and far too long.",
    "Consider the statement below and decide whether it is true or false.",
    "The sentiment of the following review is positive or negative.",
    "Water boils at one hundred degrees. The moon orbits the earth.",
    "Is this headline sarcastic? Scientists discover that sleep is nice.",
    "Question: Could a dog drive a car? Let us think step by step.",
    "Numbers 0 1 2 3 4 5 6 7 8 9 and punctuation , . ; : ! ? ' \" ( ) - { }",
)

_SPECIAL = ("<pad>", "<s>", "</s>", "<unk>")


@lru_cache(maxsize=None)
def _tokenizer_json(style: str, vocab_size: int = 400) -> str:
    """Train a BPE tokenizer on the built-in corpus; returns its JSON (cached per process)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # optional, heavy

    if style == "metaspace":
        tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=False))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
        tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first")
        alphabet = sorted(set("".join(_CORPUS)) | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u2581"))
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(_SPECIAL),
                                      initial_alphabet=alphabet, show_progress=False)
        tok.train_from_iterator(list(_CORPUS), trainer=trainer)
        bos = tok.token_to_id("<s>")
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                           special_tokens=[("<s>", bos)])
    elif style == "bytelevel":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(_SPECIAL),
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(list(_CORPUS), trainer=trainer)
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    else:  # pragma: no cover - internal
        raise ValueError(style)
    return tok.to_str()


def build_tokenizer(style: str):
    """A ``PreTrainedTokenizerFast`` (left padding) trained offline: ``metaspace`` or ``bytelevel``."""
    from tokenizers import Tokenizer  # optional heavy dependency (comes with transformers)

    tok = Tokenizer.from_str(_tokenizer_json(style))
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", padding_side="left")


def _config(arch: str, vocab: int, ids: dict):
    common = dict(vocab_size=vocab, **ids)
    if arch == "llama":
        return transformers.LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                           num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=False, **common)
    if arch == "gemma":
        # sliding_window smaller than the longest test prompts, to exercise the sliding mask
        return transformers.Gemma3TextConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
                                num_key_value_heads=1, head_dim=16, query_pre_attn_scalar=16, sliding_window=24,
                                layer_types=["sliding_attention", "sliding_attention", "full_attention",
                                             "sliding_attention"],
                                max_position_embeddings=512, **common)
    if arch == "gpt2":
        return transformers.GPT2Config(n_embd=64, n_layer=3, n_head=4, n_positions=512, **common)
    if arch == "qwen":
        return transformers.Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                           num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True,
                           **common)
    raise BadInputError(f"unknown tiny architecture {arch!r}; choose one of {', '.join(TINY_ARCHES)}")


def build_tiny(arch: str, seed: int = 0):
    """Seeded random tiny model of ``arch`` and its offline tokenizer.

    Returns
    -------
    (model, tokenizer): an eval-mode ``*ForCausalLM`` in float32 and a fast tokenizer with
    bos/eos/pad set and left padding.
    """
    arch = arch.lower()
    if arch not in TINY_ARCHES:
        raise BadInputError(f"unknown tiny architecture {arch!r}; choose one of {', '.join(TINY_ARCHES)}")
    tokenizer = build_tokenizer("metaspace" if arch in ("llama", "gemma") else "bytelevel")
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    config = _config(arch, len(tokenizer), ids)
    config._attn_implementation = "sdpa"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.eval()
    return model, tokenizer
