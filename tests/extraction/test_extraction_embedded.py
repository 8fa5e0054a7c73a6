"""The embedded Gemma 3 270M: batched/prefix extraction equals one plain forward per prompt."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from concept_depth.extraction import PooledForward, common_prefix, encode_prompts, layer_numbers


@pytest.mark.slow
def test_embedded_model_padded_and_prefix_batches_match_one_prompt_at_a_time(cosine, make_samples, reference, embedded_model):
    lm = embedded_model
    assert (lm.arch, lm.n_layers, lm.hidden_size, lm.is_decoder) == ("gemma", 18, 640, True)
    assert lm.label == "Gemma 3 270M (Q4_K_M GGUF, dequantised)"
    samples = make_samples(texts=make_samples().texts[:5])
    ids, prompts, _ = encode_prompts(lm.tokenizer, samples, 512)
    assert ids[0][0] == lm.tokenizer.bos_token_id
    for hook in ("residual",):  # post_attention_layernorm conventions are checked on tiny Gemma
        ref = reference(lm, prompts, hook, "last", full=False)
        layers = layer_numbers(lm.n_layers, hook)
        for reuse in (False, True):
            with PooledForward(lm.model, hook, "last", layers, torch.device("cpu")) as fwd:
                if reuse:
                    fwd.set_prefix(ids[0][:common_prefix(ids)])
                order = np.argsort([-len(x) for x in ids], kind="stable")
                got = np.zeros_like(ref)
                for start in range(0, len(ids), 3):
                    chunk = list(order[start:start + 3])
                    got[chunk] = fwd.run([ids[i] for i in chunk], lm.tokenizer.pad_token_id)
                assert (fwd.prefix_batches > 0) == reuse
            assert cosine(got, ref).min() >= 0.9999, (hook, reuse, cosine(got, ref).min())
