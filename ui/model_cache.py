"""Loaded models kept within a memory budget, least recently used evicted first.

One :class:`ModelCache` serves every session of the app (``ui.engine`` holds it with
``st.cache_resource``), so two sessions using different small models both keep theirs,
and a large model makes room by evicting the models used longest ago. The budget is
``$CONCEPT_DEPTH_MODEL_MEMORY_GB`` when set, else half of the memory available when the
app starts (at least 1 GiB). A model larger than the whole budget is still loaded, alone.

Pure Python (no Streamlit) so it is tested directly.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from concept_depth.models.memory import ram_available

log = logging.getLogger(__name__)

BUDGET_ENV = "CONCEPT_DEPTH_MODEL_MEMORY_GB"
DEFAULT_FRACTION = 0.5
MIN_BUDGET = 2**30
FALLBACK_BUDGET = 4 * 2**30


def model_bytes(loaded) -> int:
    """Bytes of a LoadedModel's weights and buffers (its ``model`` attribute, or the object itself)."""
    model = getattr(loaded, "model", loaded)
    try:
        return int(model.get_memory_footprint())
    except Exception:  # noqa: BLE001 - not a transformers model: count tensors
        pass
    total = 0
    for tensors in (getattr(model, "parameters", None), getattr(model, "buffers", None)):
        if tensors is None:
            continue
        try:
            total += sum(t.numel() * t.element_size() for t in tensors())
        except Exception:  # noqa: BLE001
            pass
    return total


def default_budget() -> int:
    """``$CONCEPT_DEPTH_MODEL_MEMORY_GB`` GiB, else half the available memory (at least 1 GiB)."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if text:
        try:
            value = float(text)
            if value > 0:
                return int(value * 2**30)
        except ValueError:
            pass
        log.warning("ignoring %s=%r (expected a number of GiB above 0)", BUDGET_ENV, text)
    free = ram_available()
    return max(MIN_BUDGET, int(free * DEFAULT_FRACTION)) if free else FALLBACK_BUDGET


class ModelCache:
    """``get(key, load)``: the model of ``key``, loaded once, kept while it fits in ``budget_bytes``.

    Thread-safe: concurrent callers of one key wait for a single load; different keys load
    in parallel. ``sizes`` remembers each model's size, so a model seen before makes room
    before it loads again.
    """

    def __init__(self, budget_bytes: int | None = None, size_of: Callable[[object], int] = model_bytes) -> None:
        self.budget = int(budget_bytes) if budget_bytes else default_budget()
        self.size_of = size_of
        self._models: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()  # oldest use first
        self.sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._models

    def keys(self) -> list[Hashable]:
        """Held keys, least recently used first."""
        with self._lock:
            return list(self._models)

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._models.values())

    def _evict_for(self, incoming: int, keep: Hashable) -> list[Hashable]:
        """Drop least recently used models until ``incoming`` more bytes fit (caller holds the lock)."""
        dropped = []
        used = sum(size for _, size in self._models.values())
        for key in list(self._models):
            if used + incoming <= self.budget:
                break
            if key == keep:
                continue
            used -= self._models.pop(key)[1]
            dropped.append(key)
        return dropped

    def get(self, key: Hashable, load: Callable[[], object]):
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key][0]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._models:  # loaded by another session while we waited
                    self._models.move_to_end(key)
                    return self._models[key][0]
                dropped = self._evict_for(self.sizes.get(key, 0), keep=key)
            if dropped:
                self._release(dropped)
            model = load()
            size = int(self.size_of(model))
            with self._lock:
                self.sizes[key] = size
                self._models[key] = (model, size)
                dropped = self._evict_for(0, keep=key)
            if dropped:
                self._release(dropped)
            return model

    def clear(self) -> None:
        with self._lock:
            dropped = list(self._models)
            self._models.clear()
        self._release(dropped)

    @staticmethod
    def _release(keys: list[Hashable]) -> None:
        log.info("model cache: evicted %d model(s) to stay within the memory budget", len(keys))
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001
            pass
