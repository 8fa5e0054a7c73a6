"""The embedded Gemma 3 270M: batched, prefix-reusing capture equals one plain forward per prompt."""

from __future__ import annotations

import numpy as np
import pytest

from concept_depth.capture import AnswerLogits, Capture, PooledLayers, layer_numbers, run_all


@pytest.mark.slow
def test_embedded_model_padded_and_prefix_batches_match_one_prompt_at_a_time(cosine, make_samples, reference,
                                                                            embedded_model):
    lm = embedded_model
    assert (lm.arch, lm.n_layers, lm.hidden_size, lm.is_decoder) == ("gemma", 18, 640, True)
    assert lm.label == "Gemma 3 270M (Q4_K_M GGUF, dequantised)"
    samples = make_samples(texts=make_samples().texts[:5])
    ids, prompts, _ = Capture(lm).encode_samples(samples, 512)
    assert ids[0][0] == lm.tokenizer.bos_token_id
    ref = reference(lm, prompts, "residual", "last", full=False)
    layers = layer_numbers(lm.n_layers, "residual")
    for reuse in (False, True):
        cap = Capture(lm, reuse_prefix=reuse)
        got = run_all(cap, ids, PooledLayers("residual", layers, "last"), batch_size=3)
        assert (cap.stats.prefix_batches > 0) == reuse
        assert cosine(got, ref).min() >= 0.9999, (reuse, cosine(got, ref).min())
    # the answer reader's last layer is the model's own next-token logits (softcap included)
    import torch

    with torch.no_grad():
        own = lm.model(**lm.tokenizer(prompts[0], return_tensors="pt")).logits[0, -1].float()
    answer = run_all(Capture(lm), ids[:1], AnswerLogits(lm.model, lm.n_layers, [100, 200]))
    np.testing.assert_allclose(answer["final"][0], own[[100, 200]].numpy(), atol=1e-3)
