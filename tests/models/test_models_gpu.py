"""The GPU path: half precision, bitsandbytes on CUDA, device_map="auto". Skipped without CUDA;
the pure parts (dtype choice, keyword arguments) are checked on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.core.specs import ModelSpec
from concept_depth.models.hub import half_dtype, quant_kwargs

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_sixteen_bits_is_bfloat16_on_cpu_and_auto_spreads_on_request():
    assert half_dtype(torch.device("cpu")) == torch.bfloat16
    assert half_dtype(torch.device("mps")) == torch.float16
    assert quant_kwargs(16, torch.device("cpu")) == {"dtype": torch.bfloat16}
    assert quant_kwargs(32, torch.device("cpu"), device_map="auto") == {"dtype": torch.float32, "device_map": "auto"}
    eight = quant_kwargs(8, torch.device("cpu"))
    assert eight["dtype"] == torch.float32 and eight["device_map"] == {"": "cpu"}


@cuda
def test_cuda_half_precision_matches_float32(tiny_models):
    from concept_depth.models import load_model

    ref = tiny_models("llama")
    half = load_model(ModelSpec(source="tiny:llama", quant=16), device="cuda")
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    assert half.dtype == expected and next(half.model.parameters()).dtype == expected
    assert half.device.type == "cuda"
    ids = ref.tokenizer("The city of Paris is in France.", return_tensors="pt")
    with torch.no_grad():
        a = ref.model(**ids, output_hidden_states=True).hidden_states[-1][0, -1].float().numpy()
        b = half.model(**{k: v.cuda() for k, v in ids.items()}, output_hidden_states=True).hidden_states[-1]
    b = b[0, -1].float().cpu().numpy()
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.99


@cuda
@pytest.mark.parametrize("quant", [8, 4])
def test_cuda_bitsandbytes_loads_and_runs(quant, tmp_path):
    pytest.importorskip("bitsandbytes")
    from concept_depth.models import load_model

    lm = load_model(ModelSpec(source="tiny:llama", quant=quant), device="cuda", cache_dir=tmp_path)
    assert lm.device.type == "cuda" and f"{quant}-bit" in lm.label
    ids = lm.tokenizer("A coin is heads up.", return_tensors="pt").to(lm.device)
    with torch.no_grad():
        out = lm.model(**ids, output_hidden_states=True)
    assert torch.isfinite(out.hidden_states[-1]).all()


@cuda
def test_device_map_auto_when_a_model_is_larger_than_one_gpu(monkeypatch, tmp_path):
    """Pretend every GPU is small: a plain ``cuda`` then spreads the model (or refuses in one line)."""
    import concept_depth.models.memory as memory
    from concept_depth.core.errors import UnavailableError
    from concept_depth.models import build_tiny, load_model

    model, tok = build_tiny("llama")
    path = tmp_path / "tiny-llama"
    model.save_pretrained(str(path))
    tok.save_pretrained(str(path))
    n = torch.cuda.device_count()
    need = memory.memory_estimate(str(path), 32)
    monkeypatch.setattr(memory, "gpu_free", lambda: [need // 2 + 1] * n)
    if n < 2:
        with pytest.raises(UnavailableError, match="not enough memory"):
            load_model(ModelSpec(source=str(path)), device="cuda", cache_dir=tmp_path / "c")
        return
    lm = load_model(ModelSpec(source=str(path)), device="cuda", cache_dir=tmp_path / "c")
    assert lm.info["device_map"] == "auto" and getattr(lm.model, "hf_device_map", None)
    assert lm.device.type == "cuda"
