"""Batched forward passes that keep only pooled vectors of the layers asked for.

Design (why it is fast and still exact):

- the transformer body only (``base_model``), never the vocabulary projection;
- forward hooks on the hooked modules pool each layer's states as soon as they exist
  ([B, S, D] -> [B, D]) and move them to the CPU, so all token states of all layers are
  never held at once;
- a private exception raised from the hook of the last layer needed stops the forward
  there (no work on later blocks);
- left padding with explicit position ids (``cumsum(mask) - 1``), so the last token sits
  at index -1 for every row and absolute-position models (GPT-2, BERT) see the same
  positions as for a lone prompt;
- a token prefix shared by every prompt (an instruction put first) runs once with the
  key/value cache; each batch then runs only its suffixes on a copy of that cache,
  with the padding placed *between* prefix and suffix and masked out.

Shapes: B batch, S padded length, D hidden size, K number of layers asked for.
"""

from __future__ import annotations

import threading
import logging
import weakref
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..models import architectures as A


# One extraction at a time per model object: hooks of two concurrent extractions on a model
# shared between threads (the app's cached model) would capture each other's states.
_MODEL_LOCKS: "weakref.WeakKeyDictionary[nn.Module, threading.RLock]" = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _model_lock(model: nn.Module) -> threading.RLock:
    with _LOCKS_GUARD:
        lock = _MODEL_LOCKS.get(model)
        if lock is None:
            lock = _MODEL_LOCKS[model] = threading.RLock()
        return lock


def _quiet_bitsandbytes() -> None:
    """bitsandbytes int8 logs a cast notice on every matmul of every batch; keep the first only."""
    log = logging.getLogger("bitsandbytes.autograd._functions")
    if not any(getattr(f, "_concept_depth", False) for f in log.filters):
        class _Once(logging.Filter):
            _concept_depth = True
            seen = False

            def filter(self, record: logging.LogRecord) -> bool:
                if "inputs will be cast" not in str(record.msg):
                    return True
                first, _Once.seen = not _Once.seen, True
                return first
        log.addFilter(_Once())


class _StopForward(Exception):
    """Raised from the hook of the last layer needed: nothing after it is computed."""


@dataclass
class _Capture:
    layers: tuple[int, ...]
    pooling: str
    stop_at: int | None  # layer number after which to stop, None = run to the end
    mask: torch.Tensor | None = None  # [B, S] bool, real tokens of the current segment
    out: dict[int, torch.Tensor] = field(default_factory=dict)

    def take(self, layer: int, hidden: torch.Tensor) -> None:
        if isinstance(hidden, (tuple, list)):
            hidden = hidden[0]
        if self.pooling == "last":
            vec = hidden[:, -1, :].float()
        else:  # sum over real tokens; torch.where keeps NaN/inf of padded rows out
            keep = self.mask[:, :, None]
            vec = torch.where(keep, hidden.float(), hidden.new_zeros((), dtype=torch.float32)).sum(dim=1)
        self.out[layer] = vec.to("cpu", non_blocking=False)
        if self.stop_at is not None and layer == self.stop_at:
            raise _StopForward


def hook_points(model: nn.Module, hook: str, layers: tuple[int, ...]) -> list[tuple[nn.Module, str, int]]:
    """(module, "pre"|"out", layer number) for each layer asked for.

    residual: layer 0 is the input of block 0 (the embeddings, scaled as the model scales
    them), layer l >= 1 the output of block l (before the final norm).
    post_attention_layernorm: layer l is that norm's output in block l - 1.
    """
    blocks = A.decoder_layers(model)
    points = []
    for layer in layers:
        if hook == "residual":
            points.append((blocks[0], "pre", 0) if layer == 0 else (blocks[layer - 1], "out", layer))
        else:
            points.append((A.post_attention_norm(model, layer - 1), "out", layer))
    return points


def layer_numbers(n_layers: int, hook: str) -> tuple[int, ...]:
    """All layer numbers a hook offers: residual 0..L, post_attention_layernorm 1..L."""
    return tuple(range(0, n_layers + 1)) if hook == "residual" else tuple(range(1, n_layers + 1))


class PooledForward:
    """Runs batches through a model and returns pooled vectors [B, K, D] (float32, CPU)."""

    def __init__(self, model: nn.Module, hook: str, pooling: str, layers: tuple[int, ...],
                 device: torch.device) -> None:
        self.model = model
        self.body = A.base_model(model)
        self.family = A.family(model)
        self.is_decoder = A.is_decoder(model)
        self.window = A.sliding_window(model)
        self.layers = tuple(layers)
        self.pooling = pooling
        self.device = device
        self.capture = _Capture(self.layers, pooling, stop_at=max(self.layers))
        _quiet_bitsandbytes()
        self._lock = _model_lock(model)
        self._lock.acquire()
        self._handles = []
        try:
            self._register(hook)
        except BaseException:
            self.close()
            raise
        self.prefix_ids: list[int] = []
        self._prefix_kv = None
        self._prefix_sums: dict[int, torch.Tensor] = {}
        self.prefix_batches = 0  # batches that reused the prefix cache (for tests and the benchmark)
        self.tokens_run = 0  # token positions actually computed (padding included)

    def _register(self, hook: str) -> None:
        for module, kind, layer in hook_points(self.model, hook, self.layers):
            if kind == "pre":
                def pre(mod, args, kwargs, _l=layer):
                    self.capture.take(_l, args[0] if args else kwargs["hidden_states"])
                self._handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            else:
                def post(mod, args, output, _l=layer):
                    self.capture.take(_l, output)
                self._handles.append(module.register_forward_hook(post))

    def close(self) -> None:
        if self._lock is None:
            return
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._lock.release()
        self._lock = None

    def __enter__(self) -> "PooledForward":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- shared prefix -------------------------------------------------
    def supports_prefix(self) -> bool:
        return self.is_decoder

    def set_prefix(self, prefix_ids: list[int]) -> None:
        """Run the shared prefix once and keep its key/value cache (and per-layer sums)."""
        self.prefix_ids = list(prefix_ids)
        self._prefix_kv, self._prefix_sums = None, {}
        if not prefix_ids:
            return
        ids = torch.tensor([prefix_ids], device=self.device)
        mask = torch.ones_like(ids, dtype=torch.bool)
        self.capture.mask, self.capture.out, self.capture.stop_at = mask, {}, None
        try:
            with torch.inference_mode():
                out = self.body(input_ids=ids, attention_mask=mask.long(),
                                position_ids=torch.arange(len(prefix_ids), device=self.device)[None],
                                use_cache=True)
        finally:
            self.capture.stop_at = max(self.layers)
        cache = out.past_key_values
        self._prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]
        self._prefix_sums = dict(self.capture.out)  # [1, D] sums over prefix tokens

    def _prefix_fits(self, suffix_len: int) -> bool:
        # with padding between prefix and suffix, sliding windows would count the padding
        return self.window is None or len(self.prefix_ids) + suffix_len < self.window - 1

    # ---- batches -----------------------------------------------------
    def run(self, batch: list[list[int]], pad_id: int) -> np.ndarray:
        """Pooled vectors of one batch of token id lists -> [B, K, D] float32.

        With a prefix set, each list must start with it (it is stripped here).
        """
        p = len(self.prefix_ids)
        use_prefix = p > 0 and self._prefix_kv is not None
        if use_prefix:
            suffixes = [ids[p:] for ids in batch]
            use_prefix = self._prefix_fits(max(len(s) for s in suffixes))
        seqs = suffixes if use_prefix else batch
        b, s = len(seqs), max(len(x) for x in seqs)
        ids = torch.full((b, s), pad_id, dtype=torch.long)
        mask = torch.zeros((b, s), dtype=torch.bool)
        for i, x in enumerate(seqs):  # left padding: the last token sits at -1 for every row
            ids[i, s - len(x):] = torch.tensor(x, dtype=torch.long)
            mask[i, s - len(x):] = True
        ids, mask = ids.to(self.device), mask.to(self.device)
        position_ids = (mask.long().cumsum(dim=1) - 1).clamp(min=0)
        kwargs = dict(input_ids=ids, position_ids=position_ids)
        if use_prefix:
            from transformers import DynamicCache

            position_ids += p
            kwargs["attention_mask"] = torch.cat([torch.ones((b, p), dtype=torch.long, device=self.device),
                                                  mask.long()], dim=1)
            kwargs["past_key_values"] = DynamicCache(
                ddp_cache_data=[(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1)) for k, v in self._prefix_kv],
                config=self.model.config)
            kwargs["use_cache"] = True
        else:
            kwargs["attention_mask"] = mask.long()
            if self.is_decoder:
                kwargs["use_cache"] = False
        if self.family in ("bert",):
            kwargs["token_type_ids"] = torch.zeros_like(ids)
        if self.family == "distilbert":
            kwargs.pop("position_ids")
        self.capture.mask, self.capture.out = mask, {}
        self.prefix_batches += int(use_prefix)
        self.tokens_run += b * s
        try:
            with torch.inference_mode():
                self.body(**kwargs)
        except _StopForward:
            pass
        got = self.capture.out
        missing = [l for l in self.layers if l not in got]
        if missing:  # pragma: no cover - a hook did not fire: architecture table is wrong
            raise RuntimeError(f"layers {missing} were not captured")
        if self.pooling == "mean":
            counts = mask.sum(dim=1).to("cpu", torch.float32)[:, None]
            vecs = []
            for l in self.layers:
                total = got[l]
                if use_prefix:
                    total = total + self._prefix_sums[l]
                vecs.append(total / (counts + (p if use_prefix else 0)))
        else:
            vecs = [got[l] for l in self.layers]
        return torch.stack(vecs, dim=1).numpy()


def common_prefix(seqs: list[list[int]]) -> int:
    """Length of the longest token prefix shared by all sequences, leaving >= 1 token each."""
    if len(seqs) < 2:
        return 0
    shortest = min(len(x) for x in seqs)
    first = seqs[0]
    n = 0
    while n < shortest - 1 and all(x[n] == first[n] for x in seqs):
        n += 1
    return n
