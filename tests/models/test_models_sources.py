"""Model sources, architectures, bit widths and their one-sentence errors (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all
from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.core.specs import ModelSpec
from concept_depth.models import (
    KNOWN_MODELS,
    build_tiny,
    decoder_layers,
    final_norm,
    load_model,
    model_fingerprint,
    output_embedding,
)
from concept_depth.models import architectures as A
from concept_depth.models.hub import hub_error


@pytest.mark.parametrize("arch,n_layers,bos", [("llama", 3, True), ("gemma", 4, True), ("gpt2", 3, False),
                                               ("qwen", 3, False)])
def test_tiny_models_are_seeded_and_have_offline_tokenizers(arch, n_layers, bos):
    m1, tok = build_tiny(arch)
    m2, _ = build_tiny(arch)
    m3, _ = build_tiny(arch, seed=1)
    w1, w2, w3 = (next(m.parameters()).detach() for m in (m1, m2, m3))
    assert torch.equal(w1, w2) and not torch.equal(w1, w3)
    assert len(decoder_layers(m1)) == n_layers and final_norm(m1) is not None
    assert output_embedding(m1).weight.shape[0] == len(tok)
    assert tok.padding_side == "left" and tok.pad_token_id is not None and tok.eos_token_id is not None
    ids = tok("The city of Paris is in France.")["input_ids"]
    assert (ids[0] == tok.bos_token_id) == bos
    assert tok.decode(ids, skip_special_tokens=True) == "The city of Paris is in France."
    assert tok.unk_token_id not in ids


def test_unknown_architecture_fails_loudly():
    class Config:
        model_type = "mamba"

    class Fake(torch.nn.Module):
        config = Config()

    with pytest.raises(UnavailableError, match="mamba"):
        decoder_layers(Fake())


def test_load_model_reports_what_it_loaded(tiny_models):
    lm = tiny_models("gemma")
    assert (lm.arch, lm.n_layers, lm.hidden_size, lm.is_decoder) == ("gemma", 4, 64, True)
    assert lm.fingerprint == model_fingerprint(ModelSpec(source="tiny:gemma"))
    assert lm.device == torch.device("cpu") and lm.dtype == torch.float32 and not lm.model.training
    half = tiny_models("llama", 16)
    assert half.dtype == torch.bfloat16 and next(half.model.parameters()).dtype == torch.bfloat16
    assert "16-bit" in half.label
    assert any(m.source == "embedded" and m.n_layers == 18 for m in KNOWN_MODELS)


@pytest.mark.parametrize("source,error,words", [
    ("/no/such/model/dir", BadInputError, "does not exist"),
    ("missing-file.gguf", BadInputError, "does not exist"),
    ("not a model!", BadInputError, "not a known model"),
    ("tiny:mamba", BadInputError, "unknown tiny"),
])
def test_bad_sources_give_one_sentence(source, error, words, tmp_path):
    with pytest.raises(error, match=words) as info:
        load_model(ModelSpec(source=source), device="cpu", cache_dir=tmp_path)
    assert "\n" not in str(info.value)


def test_hub_id_without_network_is_unavailable(tmp_path, monkeypatch):
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)  # never touch the network in tests
    with pytest.raises(UnavailableError, match="no network"):
        load_model(ModelSpec(source="someone/not-cached-model"), device="cpu", cache_dir=tmp_path)


def test_hub_errors_map_to_clear_messages(monkeypatch):
    class GatedRepoError(Exception):
        pass

    class RepositoryNotFoundError(Exception):
        pass

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    err = hub_error("google/gemma-2b", GatedRepoError("401 Client Error"))
    assert isinstance(err, UnavailableError) and "HF_TOKEN" in str(err)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    err = hub_error("google/gemma-2b", GatedRepoError("403"))
    assert "no access" in str(err) and "hf_secret_value" not in str(err)
    assert isinstance(hub_error("x/y", RepositoryNotFoundError("404")), BadInputError)
    assert "memory" in str(hub_error("x/y", MemoryError()))


def test_devices_and_bit_widths_that_cannot_run_here(tmp_path):
    if not torch.cuda.is_available():
        with pytest.raises(UnavailableError, match="cuda"):
            load_model(ModelSpec(source="tiny:llama"), device="cuda", cache_dir=tmp_path)
    from concept_depth.models.hub import quant_kwargs
    with pytest.raises(UnavailableError, match="8-bit"):
        quant_kwargs(8, torch.device("mps"))
    with pytest.raises(BadInputError):
        ModelSpec(source="tiny:llama", quant=3)


def test_local_directory_loads_and_its_fingerprint_hashes_the_files(tmp_path, monkeypatch):
    model, tok = build_tiny("gpt2")
    path = tmp_path / "my-gpt2"
    model.save_pretrained(str(path))
    tok.save_pretrained(str(path))
    lm = load_model(ModelSpec(source=str(path)), device="cpu", cache_dir=tmp_path / "c")
    assert lm.arch == "gpt2" and lm.label == "my-gpt2" and lm.fingerprint.startswith("dir:")
    again = model_fingerprint(ModelSpec(source=str(path)), tmp_path / "c")
    assert again == lm.fingerprint
    (path / "config.json").write_text((path / "config.json").read_text() + "\n")  # any change counts
    assert model_fingerprint(ModelSpec(source=str(path)), tmp_path / "c") != lm.fingerprint
    import concept_depth.models.memory as memory
    monkeypatch.setattr(memory, "ram_available", lambda: 1000)
    with pytest.raises(UnavailableError, match="not enough memory") as info:
        load_model(ModelSpec(source=str(path)), device="cpu", cache_dir=tmp_path / "c")
    assert "\n" not in str(info.value) and "GiB is free on cpu" in str(info.value)


def test_minilm_encoder_mean_pooling_batched_equals_single():
    lm = load_model(ModelSpec(source="minilm"), device="cpu")
    assert (lm.arch, lm.n_layers, lm.hidden_size, lm.is_decoder) == ("bert", 6, 384, False)
    texts = ["The city of Paris is in France.", "Hi", "Water boils at one hundred degrees Celsius at sea level."]
    ids = [lm.tokenizer(t)["input_ids"] for t in texts]
    batched = run_all(Capture(lm), ids, PooledLayers("residual", layer_numbers(6, "residual"), "mean"), batch_size=3)
    for i, t in enumerate(texts):
        with torch.no_grad():
            hs = lm.model(**lm.tokenizer(t, return_tensors="pt"), output_hidden_states=True).hidden_states
        ref = np.stack([h[0].mean(0).numpy() for h in hs])
        np.testing.assert_allclose(batched[i], ref, atol=1e-4)
    assert A.final_norm(lm.model) is None


def test_gguf_path_is_converted_once_then_loaded_from_the_cache(tmp_path, monkeypatch):
    """The .gguf wiring (the real dequantisation is exercised by the embedded model)."""
    import hashlib

    import concept_depth.models.gguf as gguf

    src = tmp_path / "my-model.gguf"
    src.write_bytes(b"GGUF fake weights")
    calls = []

    def fake_convert(path, target, *, gguf_sha=None, label=None, progress=None, steps=None):
        calls.append(path)
        if not gguf.is_converted(target):
            model, tok = build_tiny("gpt2")
            model.save_pretrained(str(target))
            tok.save_pretrained(str(target))
            (target / gguf._MARKER).write_text("{}")
        return target

    monkeypatch.setattr(gguf, "convert_gguf", fake_convert)
    lm = load_model(ModelSpec(source=str(src)), device="cpu", cache_dir=tmp_path / "c")
    sha = hashlib.sha256(b"GGUF fake weights").hexdigest()
    assert lm.fingerprint == f"gguf:{sha}:conv{gguf.CONVERT_VERSION}"
    assert lm.label == "my-model (GGUF, dequantised)" and lm.arch == "gpt2"
    assert gguf.is_converted(gguf.converted_dir(tmp_path / "c", sha))
    # the real converter returns at once when the converted copy exists (no GGUF parsing)
    monkeypatch.undo()
    assert gguf.convert_gguf(src, gguf.converted_dir(tmp_path / "c", sha)) == gguf.converted_dir(tmp_path / "c", sha)


def test_a_multi_line_loading_error_is_not_cut_off():
    """Issue 10 item 9: the tokenizer error used to end at "... from one of: "."""
    exc = ValueError("Couldn't instantiate the backend tokenizer from one of: \n(1) a `tokenizers` library file,\n"
                     "(2) a slow tokenizer instance to convert or\n(3) an equivalent slow tokenizer class.")
    msg = str(hub_error("some/dir", exc))
    assert "from one of: (1) a `tokenizers` library file, (2)" in msg and "(3)" in msg and "\n" not in msg
