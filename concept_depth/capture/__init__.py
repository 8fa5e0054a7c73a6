"""The one capture core: every forward pass of every analysis runs through :class:`Capture`.

    cap = Capture(loaded)
    ids, prompts, n_cut = cap.encode_samples(samples, max_tokens)
    for rows, vecs in cap.run(ids, PooledLayers("residual", layers, "last")): ...

Readers decide what is kept (pooled layer vectors, answer-token logits through the
logit lens, full lens distributions); edits change states on the way (steering).
"""

from .batches import Segment, common_prefix, plan_batches
from .edits import AddAtLast, Edit
from .lens import LensParts
from .locks import model_lock
from .points import layer_numbers
from .readers import AnswerLogits, LensLogProbs, PooledLayers, Reader
from .session import Capture, CaptureStats, rows_depend_on_batch, run_all
from .tokenize import chat_wrap, encode_samples, encode_texts, sample_texts

__all__ = [
    "AddAtLast", "AnswerLogits", "Capture", "CaptureStats", "Edit", "LensLogProbs", "LensParts", "PooledLayers",
    "Reader", "Segment", "chat_wrap", "common_prefix", "encode_samples", "encode_texts", "layer_numbers", "model_lock",
    "plan_batches", "rows_depend_on_batch", "run_all", "sample_texts",
]
