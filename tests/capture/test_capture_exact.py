"""The capture core gives the numbers of one plain forward per prompt, whatever the batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.capture import AddAtLast, AnswerLogits, Capture, LensLogProbs, PooledLayers, layer_numbers, run_all
from concept_depth.core.errors import BadInputError
from concept_depth.models import architectures as A

ARCHES = ["llama", "gemma", "gpt2", "qwen"]


def _pooled(lm, ids, hook, pooling, batch_size, reuse_prefix=True, layers=None):
    cap = Capture(lm, reuse_prefix=reuse_prefix)
    layers = layers or layer_numbers(lm.n_layers, hook)
    return run_all(cap, ids, PooledLayers(hook, layers, pooling), batch_size=batch_size), cap.stats


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("hook", ["residual", "post_attention_layernorm"])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_padded_batches_match_one_prompt_at_a_time(cosine, make_samples, reference, tiny_models, arch, hook, pooling):
    lm = tiny_models(arch)
    ids, prompts, _ = Capture(lm).encode_samples(make_samples(), 512)
    ref = reference(lm, prompts, hook, pooling)
    for reuse in (False, True):
        got, stats = _pooled(lm, ids, hook, pooling, batch_size=3, reuse_prefix=reuse)
        if arch != "gemma":  # tiny Gemma's window is shorter than these prompts (next test)
            assert (stats.prefix_batches > 0) == reuse and (stats.prefix_tokens >= 5) == reuse
        assert cosine(got, ref).min() >= 0.9999, (arch, hook, pooling, reuse, cosine(got, ref).min())
        np.testing.assert_allclose(got, ref, atol=2e-4, rtol=1e-3)


def test_gemma_prefix_is_used_within_the_sliding_window_and_skipped_past_it(cosine, make_samples, reference,
                                                                           tiny_models):
    lm = tiny_models("gemma")
    window = A.sliding_window(lm.model)
    long_ids, long_prompts, _ = Capture(lm).encode_samples(make_samples(), 512)
    assert max(len(x) for x in long_ids) > window
    got, stats = _pooled(lm, long_ids, "residual", "last", batch_size=16)
    assert stats.prefix_tokens > 0 and stats.prefix_batches == 0
    assert cosine(got, reference(lm, long_prompts, "residual", "last")).min() >= 0.9999
    short = make_samples(texts=("Hi", "no", "Tokyo is in Spain.", "The moon orbits the earth"), template="Is it true? {text}")
    ids, prompts, _ = Capture(lm).encode_samples(short, 512)
    assert max(len(x) for x in ids) < window - 1
    got, stats = _pooled(lm, ids, "residual", "mean", batch_size=2)
    assert stats.prefix_batches == stats.batches >= 1
    assert cosine(got, reference(lm, prompts, "residual", "mean")).min() >= 0.9999


@pytest.mark.parametrize("arch", ["llama", "gemma", "gpt2"])
def test_layer_conventions_against_output_hidden_states(tiny_models, arch):
    """residual l = hidden_states[l] for l < L; layer L is the block output before the final norm
    (HF applies the final norm to hidden_states[L]); post_attention_layernorm of block i is layer i+1."""
    lm = tiny_models(arch)
    L = lm.n_layers
    prompt = "The city of Paris is in France."
    ids = [lm.tokenizer(prompt)["input_ids"]]
    enc = lm.tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        hs = lm.model(**enc, output_hidden_states=True).hidden_states
    assert len(hs) == L + 1
    res = _pooled(lm, ids, "residual", "last", 1)[0][0]  # [L+1, D]
    for layer in range(L):
        np.testing.assert_allclose(res[layer], hs[layer][0, -1].numpy(), atol=1e-5)
    assert np.abs(res[L] - hs[L][0, -1].numpy()).max() > 1e-2  # not the normed state...
    with torch.no_grad():
        normed = A.final_norm(lm.model)(torch.from_numpy(res[L])[None])[0]
    np.testing.assert_allclose(normed.numpy(), hs[L][0, -1].numpy(), atol=1e-4)  # ...but its pre-norm
    first = {}
    h = A.post_attention_norm(lm.model, 0).register_forward_hook(lambda m, a, o: first.setdefault("v", o))
    try:
        pan = _pooled(lm, ids, "post_attention_layernorm", "last", 1, layers=(1,))[0][0, 0]
    finally:
        h.remove()
    np.testing.assert_allclose(pan, first["v"][0, -1].numpy(), atol=1e-6)
    assert layer_numbers(L, "post_attention_layernorm") == tuple(range(1, L + 1))
    assert layer_numbers(L, "residual") == tuple(range(0, L + 1))


def test_forward_stops_after_the_last_layer_needed_and_leaves_no_hooks(tiny_models):
    lm = tiny_models("llama")
    calls = []
    last_block = A.decoder_layers(lm.model)[-1]
    handle = last_block.register_forward_hook(lambda *a: calls.append(1))
    ids = [lm.tokenizer(s)["input_ids"] for s in ("one two three", "the coin is heads up")]
    hooks_before = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in lm.model.modules())
    try:
        part = _pooled(lm, ids, "residual", "last", 2, layers=(0, 1))[0]
        assert calls == []
        full = _pooled(lm, ids, "residual", "last", 2)[0]
        assert calls == [1]
    finally:
        handle.remove()
    np.testing.assert_allclose(part, full[:, :2], atol=1e-6)
    hooks_after = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in lm.model.modules())
    assert hooks_after == hooks_before - 1  # only the test's own hook was removed


def test_hooks_are_removed_when_the_consumer_stops_early(tiny_models):
    lm = tiny_models("qwen")
    cap = Capture(lm)
    ids = [lm.tokenizer(s)["input_ids"] for s in ("one two", "three four five", "six")]

    def n_hooks():  # transformers keeps its own output-capturing hooks: count, do not expect none
        return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in lm.model.modules())
    before = n_hooks()
    gen = cap.run(ids, PooledLayers("residual", (1, 2), "last"), batch_size=1)
    next(gen)
    gen.close()  # e.g. a cancel between batches
    assert n_hooks() == before
    assert cap.lock.acquire(blocking=False)
    cap.lock.release()


def test_truncation_cuts_the_text_never_the_instruction(make_samples, tiny_models):
    lm = tiny_models("llama")
    long_text = " ".join(["the moon orbits the earth and water boils"] * 30)
    samples = make_samples(texts=(long_text, "short one"), template="Decide true or false. Statement: {text} Answer:")
    ids, prompts, n_cut = Capture(lm).encode_samples(samples, 40)
    assert n_cut == 1
    assert 30 <= len(ids[0]) <= 40
    assert prompts[0].startswith("Decide true or false. Statement: the moon") and prompts[0].endswith(" Answer:")
    assert ids[0] == lm.tokenizer(prompts[0])["input_ids"]  # the reported prompt is exactly what ran
    assert prompts[1] == samples.prompts[1]
    with pytest.raises(BadInputError):
        Capture(lm).encode_samples(samples, 5)


def test_chat_template_wraps_each_prompt_as_a_user_turn(make_samples, tiny_models):
    lm = tiny_models("llama")
    samples = make_samples(texts=("Tokyo is in Spain.", "Hi"), template="Is this true? {text}")
    with pytest.raises(BadInputError, match="no chat template"):
        Capture(lm).encode_samples(samples, 512, chat_template=True)
    lm.tokenizer.chat_template = ("{% for m in messages %}<s>[{{ m['role'] }}] {{ m['content'] }}</s>{% endfor %}"
                                  "{% if add_generation_prompt %}[assistant]{% endif %}")
    try:
        ids, prompts, _ = Capture(lm).encode_samples(samples, 512, chat_template=True)
    finally:
        lm.tokenizer.chat_template = None
    assert prompts[0] == "<s>[user] Is this true? Tokyo is in Spain.</s>[assistant]"
    assert ids[0].count(lm.tokenizer.bos_token_id) == 1  # the template's BOS, not a second one
    assert ids[0] == lm.tokenizer(prompts[0], add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("arch", ["llama", "gemma", "gpt2"])
def test_lens_of_the_last_layer_is_the_models_own_next_token_distribution(tiny_models, arch):
    lm = tiny_models(arch)
    prompts = ["The city of Paris is in France. Answer:", "A coin is heads up. Is the coin", "yes"]
    cap = Capture(lm)
    ids = cap.encode(prompts)
    logp = run_all(cap, ids, LensLogProbs(lm.model, lm.n_layers), batch_size=3)  # [N, L+1, V]
    for i, prompt in enumerate(prompts):
        with torch.no_grad():
            own = torch.log_softmax(lm.model(**lm.tokenizer(prompt, return_tensors="pt")).logits[0, -1].float(), -1)
        np.testing.assert_allclose(logp[i, -1], own.numpy(), atol=1e-4)
        assert np.abs(logp[i, 1] - own.numpy()).max() > 1e-3  # an earlier layer differs: the check can fail
    answer = run_all(cap, ids, AnswerLogits(lm.model, lm.n_layers, [5, 7, 9]), batch_size=2)
    full = logp + answer["final_lse"][:, None, None]  # log-probs back to logits at the last layer
    np.testing.assert_allclose(answer["final"], full[:, -1, [5, 7, 9]], atol=1e-4)


def test_an_edit_at_a_layer_moves_that_layer_and_later_ones_only(tiny_models):
    lm = tiny_models("llama")
    ids = [lm.tokenizer(s)["input_ids"] for s in ("the coin is heads up", "water boils")]
    layers = layer_numbers(lm.n_layers, "residual")
    base = run_all(Capture(lm), ids, PooledLayers("residual", layers, "last"), batch_size=2)
    v = torch.zeros(lm.hidden_size)
    v[3] = 5.0
    edited = run_all(Capture(lm), ids, PooledLayers("residual", layers, "last"), batch_size=2,
                     edits=[AddAtLast(("residual", 1), v)])
    np.testing.assert_allclose(edited[:, 0], base[:, 0], atol=1e-6)
    np.testing.assert_allclose(edited[:, 1] - base[:, 1], np.tile(v.numpy(), (2, 1)), atol=1e-5)
    assert np.abs(edited[:, 2] - base[:, 2]).max() > 1e-3
