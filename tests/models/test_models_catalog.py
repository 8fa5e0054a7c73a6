"""The model catalog, memory estimates, the check before a load and batch sizes (no downloads, fake numbers)."""

from __future__ import annotations

import pytest

from concept_depth.core.errors import UnavailableError
from concept_depth.models import architectures as A
from concept_depth.models.known import KNOWN_MODELS, known_model
from concept_depth.models.memory import (
    OVERHEAD_BYTES,
    GiB,
    ModelSize,
    check_fits,
    memory_estimate,
    memory_needed,
    placement,
    suggest_batch_size,
)


def test_catalog_holds_the_papers_models_and_the_offline_ones():
    by_source = {m.source: m for m in KNOWN_MODELS}
    assert len(by_source) == len(KNOWN_MODELS)  # no duplicates
    paper = {m.source: m.n_layers for m in KNOWN_MODELS if m.paper}
    # the reference code's model_2_layer table (Luckfort/CD main.py)
    assert paper["google/gemma-2b"] == 18 and paper["google/gemma-7b"] == 28
    assert paper["meta-llama/Llama-2-7b-chat-hf"] == 32 and paper["meta-llama/Llama-2-13b-chat-hf"] == 40
    assert [paper[f"Qwen/Qwen1.5-{s}"] for s in ("0.5B", "1.8B", "4B", "7B", "14B")] == [24, 24, 40, 32, 40]
    offline = {m.source for m in KNOWN_MODELS if m.offline}
    assert offline == {"embedded", "smollm2", "minilm"}
    smol = by_source["smollm2"]
    assert (smol.n_layers, smol.hidden_size, smol.params) == (30, 576, "134M")
    assert smol.label == "SmolLM2 135M Instruct (Q4_1 GGUF, dequantised)"
    assert by_source["Qwen/Qwen1.5-14B"].params == "14.2B" and by_source["google/gemma-3-1b-pt"].params == "1B"
    assert all(m.gated for m in KNOWN_MODELS if m.source.startswith(("google/", "meta-llama/")))
    assert known_model("EMBEDDED") is by_source["embedded"] and known_model("gemma-3-270m") is by_source["embedded"]
    assert known_model("smollm2-135m-instruct") is smol and known_model("qwen/qwen1.5-7b") is not None
    assert known_model("someone/unknown") is None


def test_catalog_parameter_counts_agree_with_their_architecture():
    """estimate_params from each entry's shape lands within 3 % of the published count (Llama-2 7B exactly)."""
    from transformers import LlamaConfig

    cfg = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=32, vocab_size=32000, tie_word_embeddings=False)
    assert A.estimate_params(cfg) == pytest.approx(known_model("meta-llama/Llama-2-7b-chat-hf").n_params, rel=1e-3)
    assert (A.hidden_size(cfg), A.layer_count(cfg)) == (4096, 32)
    from transformers import Gemma3TextConfig

    gemma = Gemma3TextConfig(hidden_size=640, intermediate_size=2048, num_hidden_layers=18, num_attention_heads=4,
                             num_key_value_heads=1, head_dim=256, vocab_size=262144)
    assert A.estimate_params(gemma) == pytest.approx(known_model("embedded").n_params, rel=0.01)


def test_memory_needed_is_weights_plus_a_stated_overhead():
    n = 1_000_000_000
    assert memory_needed(n, 32) == int(4 * n * 1.2 + OVERHEAD_BYTES)
    assert memory_needed(n, 16) == int(2 * n * 1.2 + OVERHEAD_BYTES)
    assert memory_needed(n, 8) < memory_needed(n, 16) < memory_needed(n, 32)
    assert memory_needed(n, 4) == int(0.5 * n * 1.2 + OVERHEAD_BYTES)
    # bitsandbytes leaves the embeddings in the compute dtype: 2 bytes on a GPU, 4 on the CPU
    emb = 200_000_000
    assert memory_needed(n, 4, embedding_params=emb) == int((0.5 * n + 1.5 * emb) * 1.2 + OVERHEAD_BYTES)
    assert memory_needed(n, 4, embedding_params=emb, device_type="cpu") > memory_needed(n, 4, embedding_params=emb)
    assert memory_needed(n, 32, embedding_params=emb) == memory_needed(n, 32)  # nothing kept at 32/16
    with pytest.raises(ValueError):
        memory_needed(n, 3)
    per_bits = known_model("Qwen/Qwen1.5-7B").memory()
    assert list(per_bits) == [32, 16, 8, 4] and per_bits[32] > 30 * GiB > per_bits[16] > per_bits[8] > per_bits[4]


def test_memory_estimate_for_any_source(tmp_path):
    assert memory_estimate("Qwen/Qwen1.5-14B", 32) == known_model("Qwen/Qwen1.5-14B").memory()[32]
    assert memory_estimate("smollm2", 16, device_type="cpu") == known_model("smollm2").memory("cpu")[16]
    assert memory_estimate("tiny:llama", 32) < GiB
    # a local directory: its safetensors headers, no weights read
    from concept_depth.models import build_tiny

    model, tok = build_tiny("llama")
    model.save_pretrained(str(tmp_path / "m"))
    n = sum(p.numel() for p in model.parameters())
    vocab = model.config.vocab_size * model.config.hidden_size  # untied: input and output embedding
    assert memory_estimate(str(tmp_path / "m"), 32) == memory_needed(n, 32, embedding_params=2 * vocab)
    assert memory_estimate(str(tmp_path / "nothing-here.gguf"), 32) is None  # not a file: the load says why


def test_placement_and_the_one_line_refusal():
    assert placement(10 * GiB, [16 * GiB, 16 * GiB]) == "single"
    assert placement(20 * GiB, [16 * GiB, 16 * GiB]) == "auto"  # device_map="auto" over both
    assert placement(40 * GiB, [16 * GiB, 16 * GiB]) is None and placement(1, []) is None
    size = ModelSize(known_model("Qwen/Qwen1.5-14B").n_params, known_model("Qwen/Qwen1.5-14B").embedding_params)
    with pytest.raises(UnavailableError) as info:
        check_fits("Qwen/Qwen1.5-14B", size, 32, "cpu", gpus=[], ram=24 * GiB)
    msg = str(info.value)
    assert "\n" not in msg and "needs about 63.8 GiB" in msg and "24.0 GiB is free on cpu" in msg
    assert "8 bits (about 21.6 GiB) fits here" in msg
    with pytest.raises(UnavailableError, match="--device cuda"):
        check_fits("x", size, 32, "cpu", gpus=[80 * GiB], ram=8 * GiB)
    with pytest.raises(UnavailableError, match="even 4 bits needs"):
        check_fits("x", size, 32, "cpu", gpus=[], ram=2 * GiB)
    assert check_fits("x", size, 32, "cpu", gpus=[], ram=80 * GiB) is None
    assert check_fits("x", size, 16, "cuda", gpus=[40 * GiB], ram=0) == "single"
    assert check_fits("x", size, 16, "cuda", gpus=[24 * GiB, 24 * GiB], ram=0) == "auto"
    with pytest.raises(UnavailableError, match="16 bits .* fits here"):
        check_fits("x", size, 32, "cuda:0", gpus=[40 * GiB, 40 * GiB], ram=0)  # one named GPU: no spreading
    assert check_fits("x", None, 32, "cpu", ram=1) is None  # size unknown: nothing to say before loading


def test_suggest_batch_size_from_free_memory():
    kw = dict(hidden_size=640, n_layers=18, tokens=128, vocab_size=262144)
    small, big = suggest_batch_size(GiB // 4, **kw), suggest_batch_size(GiB, **kw)
    assert 1 <= small < big < 64
    assert suggest_batch_size(GiB, **{**kw, "tokens": 1024}) < big  # longer prompts, fewer per batch
    assert suggest_batch_size(GiB, **{**kw, "n_layers": 40}) < big  # deeper model, fewer per batch
    assert suggest_batch_size(GiB, dtype_bytes=2, **kw) > big  # half precision, more per batch
    assert suggest_batch_size(GiB, model_bytes=GiB, **kw) == 1  # nothing left after the weights
    assert suggest_batch_size(10**6, **kw) == 1 and suggest_batch_size(10**15, **kw) == 64
    per_prompt = 128 * 640 * 4 * (18 + 1 + 16) + 4 * 262144
    assert big == int(0.7 * GiB // per_prompt)


def test_models_command_lists_the_catalog(capsys, tmp_path):
    from concept_depth.cli.main import main

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "Qwen/Qwen1.5-14B" in out and "smollm2" in out and "32-bit GiB" in out
    assert main(["models", "smollm2", "--device-type", "cpu"]) == 0
    assert "4-bit" in capsys.readouterr().out
    (tmp_path / "notes.txt").write_text("not a model")
    assert main(["models", str(tmp_path), "--device-type", "cpu"]) == 3  # no config, no weights: size unknown
    assert "cannot tell the size" in capsys.readouterr().err
    assert main(["models", str(tmp_path / "missing")]) == 2
