"""Batched, padded, prefix-reusing extraction gives the numbers of one plain forward per prompt."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.extraction import PooledForward, common_prefix, encode_prompts, layer_numbers
from concept_depth.models import architectures as A

ARCHES = ["llama", "gemma", "gpt2", "qwen"]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("hook", ["residual", "post_attention_layernorm"])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_padded_batches_match_one_prompt_at_a_time(cosine, make_samples, reference, tiny_models, arch, hook, pooling):
    lm = tiny_models(arch)
    samples = make_samples()
    ids, prompts, _ = encode_prompts(lm.tokenizer, samples, 512)
    ref = reference(lm, prompts, hook, pooling)
    layers = layer_numbers(lm.n_layers, hook)
    order = np.argsort([-len(x) for x in ids], kind="stable")
    for reuse in (False, True):
        with PooledForward(lm.model, hook, pooling, layers, torch.device("cpu")) as fwd:
            if reuse:
                p = common_prefix(ids)
                assert p >= 5  # the instruction is shared
                fwd.set_prefix(ids[0][:p])
            got = np.zeros_like(ref)
            for start in range(0, len(ids), 3):
                chunk = list(order[start:start + 3])
                got[chunk] = fwd.run([ids[i] for i in chunk], lm.tokenizer.pad_token_id)
            assert (fwd.prefix_batches > 0) == reuse  # the prefix path really ran
        cos = cosine(got, ref)
        assert cos.min() >= 0.9999, (arch, hook, pooling, reuse, cos.min())
        np.testing.assert_allclose(got, ref, atol=2e-4, rtol=1e-3)


def test_gemma_prefix_falls_back_past_the_sliding_window(cosine, make_samples, reference, tiny_models):
    """Tiny Gemma's window (24) is shorter than the longest prompt: those batches skip the prefix."""
    lm = tiny_models("gemma")
    ids, prompts, _ = encode_prompts(lm.tokenizer, make_samples(), 512)
    assert max(len(x) for x in ids) > A.sliding_window(lm.model)
    layers = layer_numbers(lm.n_layers, "residual")
    with PooledForward(lm.model, "residual", "last", layers, torch.device("cpu")) as fwd:
        fwd.set_prefix(ids[0][:common_prefix(ids)])
        got = fwd.run(ids, lm.tokenizer.pad_token_id)
        assert fwd.prefix_batches == 0
    assert cosine(got, reference(lm, prompts, "residual", "last")).min() >= 0.9999


@pytest.mark.parametrize("arch", ["llama", "gemma", "gpt2"])
def test_layer_conventions_against_output_hidden_states(tiny_models, arch):
    """residual l = hidden_states[l] for l < L; layer L is the block output before the final norm
    (HF applies the final norm to hidden_states[L]); post_attention_layernorm of block i is layer i+1."""
    lm = tiny_models(arch)
    L = lm.n_layers
    prompt = "The city of Paris is in France."
    ids = lm.tokenizer(prompt)["input_ids"]
    enc = lm.tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        hs = lm.model(**enc, output_hidden_states=True).hidden_states
    assert len(hs) == L + 1
    with PooledForward(lm.model, "residual", "last", layer_numbers(L, "residual"), torch.device("cpu")) as fwd:
        res = fwd.run([ids], lm.tokenizer.pad_token_id)[0]  # [L+1, D]
    for layer in range(L):
        np.testing.assert_allclose(res[layer], hs[layer][0, -1].numpy(), atol=1e-5)
    assert np.abs(res[L] - hs[L][0, -1].numpy()).max() > 1e-2  # not the normed state...
    with torch.no_grad():
        normed = A.final_norm(lm.model)(torch.from_numpy(res[L])[None])[0]
    np.testing.assert_allclose(normed.numpy(), hs[L][0, -1].numpy(), atol=1e-4)  # ...but its pre-norm
    first = {}
    h = A.post_attention_norm(lm.model, 0).register_forward_hook(lambda m, a, o: first.setdefault("v", o))
    with PooledForward(lm.model, "post_attention_layernorm", "last", (1,), torch.device("cpu")) as fwd:
        pan = fwd.run([ids], lm.tokenizer.pad_token_id)[0, 0]
    h.remove()
    np.testing.assert_allclose(pan, first["v"][0, -1].numpy(), atol=1e-6)
    assert layer_numbers(L, "post_attention_layernorm") == tuple(range(1, L + 1))
    assert layer_numbers(L, "residual") == tuple(range(0, L + 1))


def test_forward_stops_after_the_last_layer_needed(tiny_models):
    lm = tiny_models("llama")
    calls = []
    last_block = A.decoder_layers(lm.model)[-1]
    handle = last_block.register_forward_hook(lambda *a: calls.append(1))
    ids = [lm.tokenizer(s)["input_ids"] for s in ("one two three", "the coin is heads up")]
    try:
        with PooledForward(lm.model, "residual", "last", (0, 1), torch.device("cpu")) as fwd:
            part = fwd.run(ids, lm.tokenizer.pad_token_id)
        assert calls == []
        with PooledForward(lm.model, "residual", "last", layer_numbers(lm.n_layers, "residual"),
                           torch.device("cpu")) as fwd:
            full = fwd.run(ids, lm.tokenizer.pad_token_id)
        assert calls == [1]
    finally:
        handle.remove()
    np.testing.assert_allclose(part, full[:, :2], atol=1e-6)


def test_truncation_cuts_the_text_never_the_instruction(make_samples, tiny_models):
    lm = tiny_models("llama")
    long_text = " ".join(["the moon orbits the earth and water boils"] * 30)
    samples = make_samples(texts=(long_text, "short one"), template="Decide true or false. Statement: {text} Answer:")
    ids, prompts, n_cut = encode_prompts(lm.tokenizer, samples, 40)
    assert n_cut == 1
    assert len(ids[0]) <= 40 and len(ids[0]) >= 30
    assert prompts[0].startswith("Decide true or false. Statement: the moon") and prompts[0].endswith(" Answer:")
    assert ids[0] == lm.tokenizer(prompts[0])["input_ids"]  # the reported prompt is exactly what ran
    assert prompts[1] == samples.prompts[1]
    from concept_depth.errors import BadInputError
    with pytest.raises(BadInputError):
        encode_prompts(lm.tokenizer, samples, 5)


def test_threads_sharing_one_model_get_their_own_vectors(tiny_models):
    """The app shares one loaded model between sessions: concurrent extractions must not mix hooks."""
    import threading

    lm = tiny_models("qwen")
    seqs = [[lm.tokenizer(s)["input_ids"]] for s in ("the coin is heads up", "water boils at one hundred degrees")]
    layers = layer_numbers(lm.n_layers, "residual")
    alone = []
    for ids in seqs:
        with PooledForward(lm.model, "residual", "last", layers, torch.device("cpu")) as fwd:
            alone.append(fwd.run(ids, lm.tokenizer.pad_token_id))
    results = {}

    def work(i):
        for _ in range(5):
            with PooledForward(lm.model, "residual", "last", layers, torch.device("cpu")) as fwd:
                results.setdefault(i, []).append(fwd.run(seqs[i], lm.tokenizer.pad_token_id))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i in range(2):
        assert len(results[i]) == 5
        for got in results[i]:
            np.testing.assert_allclose(got, alone[i], atol=1e-6)
