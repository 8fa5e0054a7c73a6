"""``Capture``: the only code in the engine that runs a model or installs hooks on it.

Every forward pass of every analysis goes through :meth:`Capture.run`:

- the model's lock (:func:`~concept_depth.capture.locks.model_lock`) is held while a
  batch runs and while the tokenizer is called, so threads sharing one loaded model
  (the app's browser sessions) never see each other's hooks or states;
- hooks are installed for the reader's points (and any edits) and removed in ``finally``;
- the transformer body only (never the vocabulary projection; readers apply the lens
  themselves), batches sorted by length, right padding after an optional shared prefix
  whose key/value cache is computed once (see :mod:`~concept_depth.capture.batches`);
- the forward stops after the last point anything needs (a private exception raised by
  a hook registered after all the others);
- low bit widths (16, 8, 4) batch without letting a prompt's numbers depend on its batch
  (see :mod:`~concept_depth.capture.invariant`): on a CPU each row computes exactly what its
  prompt computes alone (mode ``rows``: row-wise attention, per-prompt int8 outliers); on a GPU
  every batch has a fixed shape, rows x length bucket (mode ``shapes``); where neither is known
  to hold, one prompt at a time (mode ``alone``). None of them uses the prefix cache.
"""

from __future__ import annotations

import inspect
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..core.optional import torch, transformers
from ..datasets.sample_set import SampleSet
from ..models import architectures as A
from .batches import Segment, common_prefix, plan_batches, plan_fixed_shapes, right_padded
from .edits import Edit
from .invariant import LOW_BIT_WIDTHS, batch_mode, invariant_forward
from .locks import model_lock
from .readers import Reader
from .tokenize import encode_samples, encode_texts

#: A shared token prefix shorter than this is not worth a separate pass.
MIN_PREFIX_TOKENS = 2


class _StopForward(Exception):
    """Raised by the hook after the last point needed: nothing after it is computed."""


@dataclass
class CaptureStats:
    """What a capture did (for the benchmark and the tests)."""

    prefix_tokens: int = 0  # tokens of the shared prefix computed once
    prefix_batches: int = 0  # batches that continued from the prefix cache
    tokens_run: int = 0  # token positions computed, padding included
    real_tokens: int = 0  # token positions of real prompt tokens (prefix counted for every prompt)
    batches: int = 0


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


#: Bit widths whose vectors would depend on the batch in a plain padded batch: bfloat16 and 4-bit
#: (attention over a padded length rounds differently; 2.3 SD on the embedded model) and
#: bitsandbytes int8 (outlier columns are picked over all rows of a batch; 5.5 SD).
BATCH_DEPENDENT_QUANTS = LOW_BIT_WIDTHS


def rows_depend_on_batch(loaded: Any) -> bool:
    """True when a plain padded batch would make a row's numbers depend on the other rows (any low
    bit width); the capture then batches in an invariant mode (:func:`~.invariant.batch_mode`)."""
    spec = getattr(loaded, "spec", None)
    return getattr(spec, "quant", 32) in BATCH_DEPENDENT_QUANTS


def _first_rows(result: Any, n: int) -> Any:
    """A reader's batch result without the rows a fixed shape added (arrays or dicts of arrays, rows first)."""
    if isinstance(result, dict):
        return {k: v[:n] for k, v in result.items()}
    return result[:n]


def _hidden(value: Any) -> torch.Tensor:
    return value[0] if isinstance(value, (tuple, list)) else value


class Capture:
    """Runs one loaded model for readers (see the module docstring).

    Parameters
    ----------
    loaded : a ``LoadedModel`` (``model``, ``tokenizer``, ``device``, ``spec``).
    reuse_prefix : compute a token prefix shared by every prompt once (does not change
        the numbers; off for models whose rows depend on the batch).
    mode : one of :data:`~.invariant.BATCH_MODES` (default: :func:`~.invariant.batch_mode`,
        ``batched`` for float32); tests and benchmarks force one.
    """

    def __init__(self, loaded: Any, *, reuse_prefix: bool = True, mode: str | None = None) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.device = torch.device(getattr(loaded, "device", None) or "cpu")
        self.body = A.base_model(self.model)
        self.is_decoder = A.is_decoder(self.model)
        self.window = A.sliding_window(self.model)
        self.lock = model_lock(self.model)
        with self.lock:
            A.use_fused_norms(self.model)  # same numbers, fewer passes over memory (idempotent)
            self.mode = mode or batch_mode(loaded)
        self.reuse_prefix = reuse_prefix and self.is_decoder and self.mode == "batched"
        # transformers renamed the cache argument (``past_key_values`` -> ``cache``) in 5.x
        self._cache_arg = "cache" if "cache" in inspect.signature(self.body.forward).parameters else "past_key_values"
        self.stats = CaptureStats()
        tok = self.tokenizer
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
        _quiet_bitsandbytes()

    @property
    def one_at_a_time(self) -> bool:
        """True when every prompt runs alone (mode ``alone``)."""
        return self.mode == "alone"

    # ---- tokenisation (under the lock) ----------------------------------------------
    def tokenized(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(tokenizer)`` under the model's lock (any other use of the tokenizer)."""
        with self.lock:
            return fn(self.tokenizer)

    def encode(self, prompts: Sequence[str], *, chat_template: bool = False) -> list[list[int]]:
        """Token ids of full prompt strings (special tokens as the tokenizer adds them)."""
        return self.tokenized(lambda tok: encode_texts(tok, prompts, chat_template=chat_template))

    def encode_samples(self, samples: SampleSet, max_tokens: int, *,
                       chat_template: bool = False) -> tuple[list[list[int]], list[str], int]:
        """(ids, exact prompts, number truncated) of a sample set, texts cut to fit ``max_tokens``."""
        return self.tokenized(lambda tok: encode_samples(tok, samples, max_tokens, chat_template=chat_template))

    # ---- hooks -------------------------------------------------------------------------
    @contextmanager
    def _hooks(self, reader: Reader, edits: Sequence[Edit], seg_ref: list, stop: bool) -> Iterator[None]:
        """Install edit, reader and stop hooks; remove them however the block ends."""
        handles = []
        orders = []

        def install(hook: str, layer: int, fn: Callable[[torch.Tensor], torch.Tensor | None]) -> None:
            module, kind, order = A.hook_module(self.model, hook, layer)
            orders.append((order, module, kind))
            if kind == "pre":
                def pre(_m, args, kwargs):
                    h = args[0] if args else kwargs["hidden_states"]
                    new = fn(h)
                    if new is None:
                        return None
                    return ((new,) + tuple(args[1:]), kwargs) if args else (args, dict(kwargs, hidden_states=new))
                handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            else:
                def post(_m, _args, output):
                    new = fn(_hidden(output))
                    if new is None:
                        return None
                    return (new,) + tuple(output[1:]) if isinstance(output, tuple) else new
                handles.append(module.register_forward_hook(post))

        try:
            for edit in edits:
                install(*edit.point, lambda h, e=edit: e.apply(h, seg_ref[0]))
            for i, (hook, layer) in enumerate(reader.points):
                install(hook, layer, lambda h, i=i: reader.take(i, h, seg_ref[0]))
            if stop and orders:
                _, module, kind = max(orders, key=lambda o: o[0])

                def halt(*_a, **_k):
                    raise _StopForward
                handles.append(module.register_forward_pre_hook(halt) if kind == "pre"
                               else module.register_forward_hook(halt))
            yield
        finally:
            for h in handles:
                h.remove()

    def _forward(self, seg: Segment, reader: Reader, edits: Sequence[Edit], cache=None,
                 stop: bool = True) -> Any:
        """One body forward of ``seg`` under the lock, with hooks installed; then the reader's
        ``finish`` (still under the lock: it may use the model's head) unless it is the prefix."""
        b, s = seg.ids.shape
        p = seg.prefix_len
        mask = seg.mask.long()
        if p:
            mask = torch.cat([torch.ones((b, p), dtype=torch.long, device=self.device), mask], dim=1)
        positions = (p + torch.arange(s, device=self.device))[None].expand(b, -1)
        kwargs = A.body_inputs(self.model, seg.ids, mask, positions)
        if self.is_decoder:
            kwargs["use_cache"] = cache is not None
            if cache is not None:
                kwargs[self._cache_arg] = cache
        with (self.lock, self._hooks(reader, edits, [seg], stop), torch.inference_mode(),
              invariant_forward(self.model, self.mode, seg.mask)):
            try:
                self.body(**kwargs)
            except _StopForward:
                pass
            return None if seg.is_prefix else reader.finish(seg)

    # ---- running -----------------------------------------------------------------------
    def _prefix_cache(self, prefix: list[int], reader: Reader) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Run the shared prefix once (whole body: every layer's keys/values) and keep its cache."""

        cache = transformers.DynamicCache(config=self.model.config)
        seg = right_padded([prefix], self.pad_id, self.device, is_prefix=True)
        self._forward(seg, reader, (), cache=cache, stop=False)
        self.stats.prefix_tokens = len(prefix)
        return [(layer.keys, layer.values) for layer in cache.layers]

    def _prefix_fits(self, p: int, suffix_len: int) -> bool:
        # a sliding-window cache built from a prefix longer than the window would drop keys
        return self.window is None or p + suffix_len < self.window - 1

    def run(self, ids: Sequence[list[int]], reader: Reader, *, batch_size: int = 16,
            rows: Sequence[int] | None = None, edits: Sequence[Edit] = ()) -> Iterator[tuple[list[int], Any]]:
        """Run ``ids[rows]`` (default all) through the model for ``reader``.

        Yields ``(row indices, reader.finish(...))`` per batch, longest prompts first. A
        consumer may stop early (cancel): hooks are removed after every batch and the lock
        is only held while a batch runs, so concurrent users of the model interleave.
        """
        todo = list(range(len(ids))) if rows is None else [int(r) for r in rows]
        todo.sort(key=lambda i: -len(ids[i]))
        if not todo:
            return
        p, prefix_kv = 0, None
        if self.reuse_prefix and len(todo) > 1:
            p = common_prefix([ids[i] for i in todo])
            if p >= MIN_PREFIX_TOKENS:
                prefix_kv = self._prefix_cache(list(ids[todo[0]][:p]), reader)
            else:
                p = 0
        lengths = [len(x) - p for x in ids]
        if self.mode == "shapes":
            plan = plan_fixed_shapes(lengths, todo)
        else:
            size = 1 if self.one_at_a_time else batch_size
            # in mode rows the linear layers skip padding, so a batch need not close to avoid it
            plan = [(c, None, None) for c in plan_batches(lengths, todo, size,
                                                          max_growth=1 if self.one_at_a_time else 8,
                                                          max_padding=1.0 if self.mode == "rows" else 0.05)]
        for chunk, length, n_rows in plan:
            suffixes = [list(ids[i][p:]) for i in chunk]
            use_prefix = prefix_kv is not None and self._prefix_fits(p, max(len(x) for x in suffixes))
            seqs = suffixes if use_prefix else [list(ids[i]) for i in chunk]
            seg = right_padded(seqs, self.pad_id, self.device, prefix_len=p if use_prefix else 0,
                               length=length, rows=n_rows)
            cache = None
            if use_prefix:

                b = seg.size
                cache = transformers.DynamicCache(ddp_cache_data=[(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1))
                                                     for k, v in prefix_kv], config=self.model.config)
            out = self._forward(seg, reader, edits, cache=cache)
            self.stats.batches += 1
            self.stats.prefix_batches += int(use_prefix)
            self.stats.tokens_run += int(seg.ids.numel())
            self.stats.real_tokens += int(seg.mask[:len(chunk)].sum()) + (p * len(chunk) if use_prefix else 0)
            yield chunk, (_first_rows(out, len(chunk)) if seg.size > len(chunk) else out)


def run_all(capture: Capture, ids: Sequence[list[int]], reader: Reader, *, batch_size: int = 16,
            on_batch: Callable[[int], None] | None = None, edits: Sequence[Edit] = ()) -> Any:
    """Every row's result in input order: the per-batch arrays (or dicts of arrays, rows
    first) re-assembled by row. ``on_batch`` gets the number of rows done after each batch.
    """
    n = len(ids)
    out: Any = None
    done = 0
    for chunk, got in capture.run(ids, reader, batch_size=batch_size, edits=edits):
        if out is None:
            out = ({k: np.zeros((n,) + v.shape[1:], dtype=v.dtype) for k, v in got.items()}
                   if isinstance(got, dict) else np.zeros((n,) + got.shape[1:], dtype=got.dtype))
        if isinstance(got, dict):
            for k, v in got.items():
                out[k][chunk] = v
        else:
            out[chunk] = got
        done += len(chunk)
        if on_batch is not None:
            on_batch(done)
    return out
