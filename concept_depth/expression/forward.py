"""Batched causal-LM forward that reads the next-token answer at every layer.

One forward pass per batch (left padding, sorted by length, ``inference_mode``)
gives two things for the last prompt position:

- the model's own next-token logits (``logits_to_keep=1``: the vocabulary
  projection runs for one position only), and
- the residual stream after every block (forward hooks; index 0 = embeddings,
  index l = output of block l, before the final norm), put through the model's
  final norm and output projection: the *logit lens*. For the last block this is
  exactly the model's own logits, which the tests check.

Only the columns of the answer tokens are kept per layer, plus the full-vocabulary
log-normaliser of the final logits (how much probability the answer words get).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..models import architectures


@dataclass(frozen=True)
class LensParts:
    """What the logit lens needs from a model: final norm, output matrix, soft-cap."""

    norm: torch.nn.Module | None
    output: torch.nn.Module
    softcap: float | None

    @classmethod
    def from_model(cls, model: torch.nn.Module) -> "LensParts":
        config = getattr(model, "config", None)
        cap = getattr(config, "final_logit_softcapping", None)
        if cap is None and config is not None and hasattr(config, "get_text_config"):
            cap = getattr(config.get_text_config(), "final_logit_softcapping", None)
        return cls(norm=architectures.final_norm(model), output=architectures.output_embedding(model),
                   softcap=float(cap) if cap else None)

    def logits(self, states: torch.Tensor, token_ids: Sequence[int] | None = None) -> torch.Tensor:
        """Lens logits. states: [..., D] residual vectors -> [..., V] (or [..., K] for ``token_ids``), float32."""
        h = states
        if self.norm is not None:
            h = self.norm(h)
        weight = getattr(self.output, "weight", None)
        if token_ids is not None and weight is not None and weight.is_floating_point():
            ids = torch.as_tensor(list(token_ids), device=weight.device, dtype=torch.long)
            bias = getattr(self.output, "bias", None)
            out = torch.nn.functional.linear(h.to(weight.dtype), weight[ids], None if bias is None else bias[ids])
        else:
            out = self.output(h)
            if token_ids is not None:
                out = out[..., list(token_ids)]
        out = out.float()
        if self.softcap:
            out = torch.tanh(out / self.softcap) * self.softcap
        return out


@dataclass(frozen=True)
class PromptScores:
    """Answer-token logits of N prompts.

    Attributes
    ----------
    lens : [N, L+1, K] float32 logit-lens logits of the K answer tokens at layers 0..L.
    final : [N, K] float32 the model's own next-token logits of the answer tokens.
    final_lse : [N] float32 log-sum-exp of the model's full next-token logits.
    n_tokens : [N] prompt lengths in tokens.
    """

    lens: np.ndarray
    final: np.ndarray
    final_lse: np.ndarray
    n_tokens: np.ndarray


def encode_prompts(tokenizer: Any, prompts: Sequence[str]) -> list[list[int]]:
    """Token ids of each prompt with the tokenizer's usual special tokens (e.g. BOS)."""
    return [list(tokenizer(p, add_special_tokens=True)["input_ids"]) for p in prompts]


def _pad_left(batch: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, ids in enumerate(batch):
        input_ids[i, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
        mask[i, width - len(ids):] = 1
    # Positions count real tokens only, so padding changes no number (absolute position embeddings too).
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return input_ids.to(device), mask.to(device), positions.to(device)


def _hidden(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, (tuple, list)) else output


def _forward_last(model: torch.nn.Module, input_ids, mask, positions) -> torch.Tensor:
    """Next-token logits at the last position: [B, V]."""
    kwargs = dict(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=False)
    try:
        out = model(**kwargs, logits_to_keep=1)
    except TypeError:  # older model classes without logits_to_keep
        out = model(**kwargs)
    return out.logits[:, -1, :]


def score_prompts(loaded: Any, prompts: Sequence[str], token_ids: Sequence[int], *, batch_size: int = 8,
                  on_batch: Callable[[int], None] | None = None) -> PromptScores:
    """Run the model on ``prompts`` and read the answer-token logits at every layer.

    Parameters
    ----------
    loaded : a ``LoadedModel`` (``model``, ``tokenizer``, ``device``) of a decoder.
    prompts : [N] full prompt strings.
    token_ids : the K answer-token ids whose logits are kept.
    on_batch : called with the number of prompts finished so far (progress, cancellation).
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    device = torch.device(getattr(loaded, "device", None) or "cpu")
    layers = architectures.decoder_layers(model)
    parts = LensParts.from_model(model)
    encoded = encode_prompts(tokenizer, prompts)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    order = np.argsort([len(e) for e in encoded], kind="stable")
    n, k, n_layers = len(prompts), len(token_ids), len(layers)
    lens = np.zeros((n, n_layers + 1, k), dtype=np.float32)
    final = np.zeros((n, k), dtype=np.float32)
    final_lse = np.zeros(n, dtype=np.float32)

    captured: dict[int, torch.Tensor] = {}

    def pre_hook(_module, args, kwargs):
        h = args[0] if args else kwargs["hidden_states"]
        captured[0] = h[:, -1, :]

    def make_hook(index: int):
        def hook(_module, _args, output):
            captured[index] = _hidden(output)[:, -1, :]
        return hook

    handles = [layers[0].register_forward_pre_hook(pre_hook, with_kwargs=True)]
    handles += [layer.register_forward_hook(make_hook(i + 1)) for i, layer in enumerate(layers)]
    done = 0
    try:
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                input_ids, mask, positions = _pad_left([encoded[i] for i in idx], pad_id, device)
                captured.clear()
                logits = _forward_last(model, input_ids, mask, positions).float()
                states = torch.stack([captured[i] for i in range(n_layers + 1)], dim=1)  # [B, L+1, D]
                lens[idx] = parts.logits(states, token_ids).cpu().numpy()
                final[idx] = logits[:, list(token_ids)].cpu().numpy()
                final_lse[idx] = torch.logsumexp(logits, dim=-1).cpu().numpy()
                done += len(idx)
                if on_batch is not None:
                    on_batch(done)
    finally:
        for h in handles:
            h.remove()
    return PromptScores(lens=lens, final=final, final_lse=final_lse,
                        n_tokens=np.array([len(e) for e in encoded], dtype=np.int64))


def lens_distribution(loaded: Any, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(lens log-probs [L+1, V], model's own next-token log-probs [V]) of one prompt.

    Full-vocabulary version used to check the lens against the model (tests, notebooks).
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    device = torch.device(getattr(loaded, "device", None) or "cpu")
    layers = architectures.decoder_layers(model)
    parts = LensParts.from_model(model)
    ids = torch.tensor([encode_prompts(tokenizer, [prompt])[0]], device=device)
    captured: list[torch.Tensor] = []
    handles = [layers[0].register_forward_pre_hook(
        lambda _m, a, kw: captured.insert(0, (a[0] if a else kw["hidden_states"])[0, -1]), with_kwargs=True)]
    handles += [layer.register_forward_hook(lambda _m, _a, o: captured.append(_hidden(o)[0, -1])) for layer in layers]
    try:
        with torch.inference_mode():
            out = model(input_ids=ids, use_cache=False)
            lens = parts.logits(torch.stack(captured))
    finally:
        for h in handles:
            h.remove()
    return torch.log_softmax(lens, -1), torch.log_softmax(out.logits[0, -1].float(), -1)
