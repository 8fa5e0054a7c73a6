"""Fused RMSNorms compute what the transformers code computes (every family that has them)."""

from __future__ import annotations

import pytest
import torch

from concept_depth.models import architectures as A
from concept_depth.models import build_tiny


@pytest.mark.parametrize("arch,expected", [("llama", 7), ("gemma", 4 * 6 + 1), ("qwen", 7), ("gpt2", 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_fused_norms_give_the_transformers_numbers(arch, expected, dtype):
    model, tok = build_tiny(arch)
    model.to(dtype)
    enc = tok(["The city of Paris is in France.", "Hi"], return_tensors="pt", padding=True)
    with torch.no_grad():
        before = model(**enc, output_hidden_states=True).hidden_states
        switched = A.use_fused_norms(model)
        after = model(**enc, output_hidden_states=True).hidden_states
    assert switched == expected and A.use_fused_norms(model) == 0  # idempotent
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    for b, a in zip(before, after):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)
