"""Component hooks (attn_out, mlp_out): exact under batching, and what each block adds to the residual stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.capture import Capture, PooledLayers, layer_numbers, run_all
from concept_depth.core.errors import UnavailableError
from concept_depth.core.specs import HOOK_DESCRIPTIONS, HOOKS, ModelSpec
from concept_depth.models import architectures as A
from concept_depth.models.loaded import LoadedModel
from concept_depth.models.tiny import build_tokenizer

ARCHES = ["llama", "gemma", "gpt2", "qwen"]
COMPONENTS = ["attn_out", "mlp_out"]


def _wrap(model, tokenizer, arch: str) -> LoadedModel:
    model.eval()
    cfg = model.config
    return LoadedModel(spec=ModelSpec(source=f"test:{arch}"), model=model, tokenizer=tokenizer, arch=A.family(model),
                       n_layers=len(A.decoder_layers(model)), hidden_size=int(getattr(cfg, "hidden_size", 0) or cfg.dim),
                       label=f"test {arch}", fingerprint=f"test-{arch}", is_decoder=A.is_decoder(model),
                       device=torch.device("cpu"), dtype=torch.float32)


def _extra_model(arch: str) -> LoadedModel:
    """Tiny random models of the families tiny.py does not build: Gemma 1, Gemma 2, BERT, DistilBERT."""
    import transformers as T

    meta = build_tokenizer("metaspace" if arch.startswith("gemma") else "bytelevel")
    ids = dict(vocab_size=len(meta), pad_token_id=meta.pad_token_id)
    torch.manual_seed(0)
    if arch == "gemma1":
        cfg = T.GemmaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                            num_key_value_heads=1, head_dim=16, bos_token_id=meta.bos_token_id,
                            eos_token_id=meta.eos_token_id, **ids)
        model = T.GemmaForCausalLM(cfg)
    elif arch == "gemma2":
        cfg = T.Gemma2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                             num_key_value_heads=1, head_dim=16, query_pre_attn_scalar=16, sliding_window=512,
                             bos_token_id=meta.bos_token_id, eos_token_id=meta.eos_token_id, **ids)
        model = T.Gemma2ForCausalLM(cfg)
    elif arch == "bert":
        model = T.BertModel(T.BertConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                         num_attention_heads=4, max_position_embeddings=512, **ids),
                            add_pooling_layer=False)
    elif arch == "distilbert":
        model = T.DistilBertModel(T.DistilBertConfig(dim=64, hidden_dim=128, n_layers=2, n_heads=4,
                                                     max_position_embeddings=512, **ids))
    else:  # pragma: no cover
        raise ValueError(arch)
    model.config._attn_implementation = "eager" if arch.startswith("gemma") else "sdpa"
    return _wrap(model.float(), meta, arch)


def _capture(lm, ids, hooks, batch_size=1, reuse_prefix=False):
    """{hook: [N, layers, D]} read in one forward per batch."""
    out = {}
    for hook in hooks:
        cap = Capture(lm, reuse_prefix=reuse_prefix)
        out[hook] = run_all(cap, ids, PooledLayers(hook, layer_numbers(lm.n_layers, hook), "last"),
                            batch_size=batch_size)
    return out


def test_component_hooks_are_in_the_one_hook_table():
    assert {"attn_out", "mlp_out"} <= set(HOOKS) == set(HOOK_DESCRIPTIONS)
    assert "block l" in HOOK_DESCRIPTIONS["attn_out"] and "block l" in HOOK_DESCRIPTIONS["mlp_out"]
    assert layer_numbers(4, "attn_out") == layer_numbers(4, "mlp_out") == (1, 2, 3, 4)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("hook", COMPONENTS)
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_batched_component_capture_matches_one_prompt_at_a_time(cosine, make_samples, reference, tiny_models, arch,
                                                                hook, pooling):
    lm = tiny_models(arch)
    ids, prompts, _ = Capture(lm).encode_samples(make_samples(), 512)
    ref = reference(lm, prompts, hook, pooling)
    assert ref.shape == (len(prompts), lm.n_layers, lm.hidden_size)
    for reuse in (False, True):
        cap = Capture(lm, reuse_prefix=reuse)
        got = run_all(cap, ids, PooledLayers(hook, layer_numbers(lm.n_layers, hook), pooling), batch_size=3)
        if arch != "gemma":  # tiny Gemma's sliding window is shorter than these prompts
            assert (cap.stats.prefix_batches > 0) == reuse
        assert cosine(got, ref).min() >= 0.9999, (arch, hook, pooling, reuse)
        np.testing.assert_allclose(got, ref, atol=2e-4, rtol=1e-3)


@pytest.mark.parametrize("arch", ["llama", "qwen", "gpt2", "gemma"])
def test_residual_is_the_previous_residual_plus_attention_plus_mlp(tiny_models, arch):
    """Pre-norm decoders add exactly attn_out(l) and mlp_out(l) to residual(l-1); Gemma 3 adds the
    post-normed outputs, so there attn_out is the post_attention_layernorm output."""
    lm = tiny_models(arch)
    assert A.residual_is_sum_of_components(lm.model)
    ids = Capture(lm).encode(["The city of Paris is in France.", "Tokyo is in Spain. Answer:", "Hi"])
    got = _capture(lm, ids, ["residual", "attn_out", "mlp_out", "post_attention_layernorm"], batch_size=3,
                   reuse_prefix=True)
    res, attn, mlp = got["residual"], got["attn_out"], got["mlp_out"]
    np.testing.assert_allclose(res[:, 1:], res[:, :-1] + attn + mlp, atol=1e-4, rtol=1e-4)
    assert np.abs(attn).max() > 1e-3 and np.abs(mlp).max() > 1e-3  # both parts contribute: the check can fail
    if arch == "gemma":
        np.testing.assert_allclose(attn, got["post_attention_layernorm"], atol=1e-6)
    else:
        assert np.abs(attn - got["post_attention_layernorm"]).max() > 1e-3


@pytest.mark.parametrize("arch", ["gemma1", "gemma2"])
def test_gemma_1_and_2_components_sum_to_the_residual(arch):
    lm = _extra_model(arch)
    sandwich = arch == "gemma2"
    block = A.decoder_layers(lm.model)[0]
    assert (A.attention_output(lm.model, 0) is block.post_attention_layernorm) == sandwich
    assert (A.mlp_output(lm.model, 0) is getattr(block, "post_feedforward_layernorm", block.mlp))
    ids = Capture(lm).encode(["The city of Paris is in France.", "Hi there"])
    got = _capture(lm, ids, ["residual", "attn_out", "mlp_out"], batch_size=2)
    np.testing.assert_allclose(got["residual"][:, 1:], got["residual"][:, :-1] + got["attn_out"] + got["mlp_out"],
                               atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("arch", ["bert", "distilbert"])
def test_post_ln_encoders_normalise_each_component_plus_its_input(arch):
    """BERT-style blocks: post_attention_layernorm = LN(attn_out + residual(l-1)) and
    residual(l) = LN(mlp_out + post_attention_layernorm); the plain sum does not hold."""
    lm = _extra_model(arch)
    assert not A.residual_is_sum_of_components(lm.model)
    ids = Capture(lm).encode(["The city of Paris is in France.", "Hi there"])
    got = _capture(lm, ids, ["residual", "attn_out", "mlp_out", "post_attention_layernorm"], batch_size=2)
    res, attn, mlp, pal = (got[h] for h in ("residual", "attn_out", "mlp_out", "post_attention_layernorm"))
    blocks = A.decoder_layers(lm.model)
    for i, block in enumerate(blocks):
        ln1 = A.post_attention_norm(lm.model, i)
        ln2 = block.output.LayerNorm if arch == "bert" else block.output_layer_norm
        with torch.no_grad():
            want_pal = ln1(torch.from_numpy(attn[:, i] + res[:, i])).numpy()
            want_res = ln2(torch.from_numpy(mlp[:, i] + pal[:, i])).numpy()
        np.testing.assert_allclose(pal[:, i], want_pal, atol=1e-4)
        np.testing.assert_allclose(res[:, i + 1], want_res, atol=1e-4)
    assert np.abs(res[:, 1:] - (res[:, :-1] + attn + mlp)).max() > 1e-3  # the plain sum is not it


def test_unknown_hooks_and_layer_zero_of_a_component_are_refused(tiny_models):
    lm = tiny_models("llama")
    with pytest.raises(UnavailableError):
        A.hook_module(lm.model, "attention_pattern", 1)
    with pytest.raises(ValueError):
        A.hook_module(lm.model, "attn_out", 0)
    module, kind, order = A.hook_module(lm.model, "mlp_out", 2)
    assert module is A.decoder_layers(lm.model)[1].mlp and kind == "out" and order == (1, 7)
