"""Batched causal-LM forward that reads the next-token answer at every layer.

One pass of the transformer body per batch (shared prefix cached, right padding,
sorted by length, ``inference_mode``) captures, at each prompt's last token, the
residual stream after every block (forward hooks; index 0 = embeddings, index l =
output of block l, before the final norm). Each is put through the model's final
norm and output projection: the *logit lens*. For the last block this is exactly
the model's own next-token distribution, which the tests check against a plain
forward of the full model.

Only the columns of the answer tokens are kept per layer, plus the full-vocabulary
log-normaliser of the final logits (how much probability the answer words get).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..extraction.forward import common_prefix
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


def _hidden(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, (tuple, list)) else output


class _LastTokenCapture:
    """Forward hooks keeping each layer's vector at one position per row: {layer: [B, D]}."""

    def __init__(self, layers: torch.nn.ModuleList) -> None:
        self.rows: torch.Tensor | None = None  # [B] position of each row's last real token
        self.out: dict[int, torch.Tensor] = {}
        self.handles = [layers[0].register_forward_pre_hook(self._pre, with_kwargs=True)]
        self.handles += [layer.register_forward_hook(self._post(i + 1)) for i, layer in enumerate(layers)]

    def _take(self, index: int, h: torch.Tensor) -> None:
        if self.rows is not None:
            self.out[index] = h[torch.arange(h.shape[0], device=h.device), self.rows]

    def _pre(self, _module, args, kwargs):
        self._take(0, args[0] if args else kwargs["hidden_states"])

    def _post(self, index: int):
        def hook(_module, _args, output):
            self._take(index, _hidden(output))
        return hook

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def score_prompts(loaded: Any, prompts: Sequence[str], token_ids: Sequence[int], *, batch_size: int = 8,
                  on_batch: Callable[[int], None] | None = None, reuse_prefix: bool = True) -> PromptScores:
    """Run the model on ``prompts`` and read the answer-token logits at every layer.

    Prompts share long prefixes (instruction, few-shot examples): their key/value cache is
    computed once and every batch continues from it. Batches are *right*-padded after
    that prefix, so no real token ever attends to padding (causal attention) and positions
    and sliding windows are exactly those of one prompt alone; each row is read at its own
    last real token. The model's own next-token logits are the lens of the last block
    (final norm + output projection, the same modules the model's head uses).

    Parameters
    ----------
    loaded : a ``LoadedModel`` (``model``, ``tokenizer``, ``device``) of a decoder.
    prompts : [N] full prompt strings.
    token_ids : the K answer-token ids whose logits are kept.
    on_batch : called with the number of prompts finished so far (progress, cancellation).
    reuse_prefix : compute the shared token prefix once (does not change the numbers).
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    device = torch.device(getattr(loaded, "device", None) or "cpu")
    layers = architectures.decoder_layers(model)
    body = architectures.base_model(model)
    parts = LensParts.from_model(model)
    encoded = encode_prompts(tokenizer, prompts)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    n, k, n_layers = len(prompts), len(token_ids), len(layers)
    lens = np.zeros((n, n_layers + 1, k), dtype=np.float32)
    final = np.zeros((n, k), dtype=np.float32)
    final_lse = np.zeros(n, dtype=np.float32)
    p = common_prefix(encoded) if reuse_prefix else 0
    order = np.argsort([len(e) for e in encoded], kind="stable")
    capture = _LastTokenCapture(layers)
    done = 0
    try:
        with torch.inference_mode():
            prefix_kv = None
            if p > 0:
                capture.rows = None  # nothing to keep from the prefix itself
                out = body(input_ids=torch.tensor([encoded[0][:p]], device=device),
                           position_ids=torch.arange(p, device=device)[None], use_cache=True)
                prefix_kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                seqs = [encoded[i][p:] for i in idx]
                b, width = len(seqs), max(len(x) for x in seqs)
                ids = torch.full((b, width), pad_id, dtype=torch.long)
                for row, x in enumerate(seqs):
                    ids[row, :len(x)] = torch.tensor(x, dtype=torch.long)
                capture.rows = torch.tensor([len(x) - 1 for x in seqs], device=device)
                capture.out = {}
                kwargs: dict[str, Any] = dict(
                    input_ids=ids.to(device), position_ids=(p + torch.arange(width, device=device))[None].expand(b, -1),
                    attention_mask=torch.ones((b, p + width), dtype=torch.long, device=device))
                if prefix_kv is not None:
                    from transformers import DynamicCache

                    kwargs["past_key_values"] = DynamicCache(
                        ddp_cache_data=[(kk.expand(b, -1, -1, -1), vv.expand(b, -1, -1, -1)) for kk, vv in prefix_kv],
                        config=model.config)
                    kwargs["use_cache"] = True
                else:
                    kwargs["use_cache"] = False
                body(**kwargs)
                states = torch.stack([capture.out[i] for i in range(n_layers + 1)], dim=1)  # [B, L+1, D]
                lens[idx] = parts.logits(states, token_ids).cpu().numpy()
                logits = parts.logits(states[:, -1])  # [B, V]: the model's own next-token logits
                final[idx] = logits[:, list(token_ids)].cpu().numpy()
                final_lse[idx] = torch.logsumexp(logits, dim=-1).cpu().numpy()
                done += b
                if on_batch is not None:
                    on_batch(done)
    finally:
        capture.close()
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
