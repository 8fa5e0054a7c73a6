"""One lock per loaded model object: the only guard every forward pass and tokenizer call takes.

Streamlit keeps one loaded model for every browser session (``st.cache_resource``), and
sessions run as threads. Forward hooks are global state on the model, and a fast
tokenizer is not safe to call from two threads at once, so both happen only while
holding this lock (see :mod:`concept_depth.capture.session`).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


_LOCKS: "weakref.WeakKeyDictionary[nn.Module, threading.RLock]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def model_lock(model: nn.Module) -> threading.RLock:
    """The re-entrant lock of ``model`` (created on first use, dropped with the model)."""
    with _GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.RLock()
        return lock
