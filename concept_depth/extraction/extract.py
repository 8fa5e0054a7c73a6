"""``extract_activations``: cached, resumable, streamed, layer-wise extraction (a reader over capture)."""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from ..capture import Capture, PooledLayers, layer_numbers
from ..core.errors import BadInputError
from ..core.progress import ProgressCallback, ProgressTracker
from ..core.specs import ExtractionSpec, ModelSpec
from ..datasets import load_samples
from ..datasets.sample_set import SampleSet
from ..models.known import known_model
from ..models.loader import cached_loader
from ..storage.store import IncompleteEntryError, Store
from .activations import Activations, activations_from_key
from .keys import activation_key, fingerprint_for

log = logging.getLogger(__name__)

#: Finished rows are written to the store at least this often (seconds), so a kill loses little.
CHUNK_SECONDS = 10.0
#: Result kind of layer vectors in the store.
ACTIVATIONS_KIND = "activations"


def _load_samples(spec: ExtractionSpec, store: Store) -> SampleSet:

    return load_samples(spec.dataset, cache_dir=store.directory)


def _cached(store: Store, key: str) -> Activations | None:
    """The finished entry of ``key`` if it is complete and intact; a corrupt one is deleted."""
    if store.activation_meta(key) is None:
        return None
    if not store.verify(key):
        log.warning("cached activations %s are corrupted; recomputing", key)
        store.delete_activations(key)
        return None
    return activations_from_key(store, key, cached=True)


def extract_activations(spec: ExtractionSpec, *, store: Store, samples: SampleSet | None = None,
                        model_loader: Callable[[ModelSpec], object] | None = None, batch_size: int = 16,
                        device: str | None = None, progress: ProgressCallback | None = None) -> Activations:
    """One pooled vector per sample per layer, from the cache when it is there.

    Parameters
    ----------
    spec : model, dataset, hook, pooling, max tokens, chat template.
    store : the cache (activations per layer, partial chunks, locks).
    samples : the samples of ``spec.dataset`` (loaded with ``load_samples`` when omitted).
    model_loader : ``ModelSpec -> LoadedModel`` (default ``load_model``); only called on a miss,
        so the app can pass its ``st.cache_resource``-wrapped loader.
    batch_size : prompts per forward pass (does not change the numbers or the key).
    device : where to run (default: cuda when available).
    progress : callback with ``stage="extract"`` events; returning False cancels (raises
        Cancelled; finished batches stay cached and the next call resumes).

    Returns
    -------
    Activations with ``layers`` residual 0..L or post_attention_layernorm 1..L.
    """
    if samples is None:
        samples = _load_samples(spec, store)
    if len(samples) == 0:
        raise BadInputError("the dataset has no samples")
    if batch_size < 1:
        raise BadInputError("batch size must be at least 1")
    fingerprint = fingerprint_for(spec.model, store.directory)
    key = activation_key(spec, samples, fingerprint)
    acts, _ = store.memoize(
        ACTIVATIONS_KIND, key,
        lambda: _compute(spec, key, fingerprint, store, samples, model_loader, batch_size, device, progress),
        read=lambda: _cached(store, key), write=lambda _acts: None)  # _compute stores as it goes
    return acts


def _space_needed(n: int, n_layers: int, hidden_size: int, hook: str) -> int:
    """Bytes the layer vectors of ``n`` prompts take while assembled: the chunks and the layer files."""
    return 2 * n * len(layer_numbers(n_layers, hook)) * hidden_size * 4


def _load(spec, store, samples, model_loader, device, progress):
    """The model of ``spec`` and its load time; a full disk is said before a long load when the model's
    shape is known without loading it."""
    t0 = time.perf_counter()
    known = known_model(spec.model.source)
    if known is not None:
        store.check_free_space(_space_needed(len(samples), known.n_layers, known.hidden_size, spec.hook),
                               f"the layer vectors of {len(samples)} prompts")
    if model_loader is None:
        model_loader = cached_loader(store.directory, device, progress)
    lm = model_loader(spec.model)
    return lm, time.perf_counter() - t0


def _extract_rows(cap, ids, reader, rows, have, store, key, batch_size, tracker) -> None:
    """Run ``rows`` and stream their vectors to the store in chunks (never all N at once); ``have`` [N]
    marks the rows done. Finished work is kept on cancel, error or interrupt."""
    pending_idx: list[int] = []
    pending: list[np.ndarray] = []
    last_flush = time.perf_counter()

    def flush() -> None:
        nonlocal last_flush
        if pending_idx:
            store.write_chunk(key, np.asarray(pending_idx), np.concatenate(pending))
            pending_idx.clear()
            pending.clear()
        last_flush = time.perf_counter()

    try:
        for chunk, vecs in cap.run(ids, reader, batch_size=batch_size, rows=rows):  # vecs [b, K, D]
            have[chunk] = True
            pending_idx.extend(int(i) for i in chunk)
            pending.append(vecs)
            if time.perf_counter() - last_flush >= CHUNK_SECONDS:
                flush()
            tracker.update(int(have.sum()))
    finally:
        flush()


def _timing(cap, load_s: float, extract_s: float, fresh: int) -> dict:
    stats = cap.stats
    return {"load_s": round(load_s, 3), "extract_s": round(extract_s, 3),
            "prompts_per_s": round(fresh / extract_s, 3) if extract_s > 0 and fresh else 0.0,
            "computed": fresh, "prefix_tokens": stats.prefix_tokens, "prefix_batches": stats.prefix_batches,
            "tokens_run": stats.tokens_run, "real_tokens": stats.real_tokens,
            "one_prompt_at_a_time": cap.one_at_a_time, "batch_mode": cap.mode}


def _meta(spec, fingerprint, lm, samples, prompts, n_cut, timing) -> dict:
    """What the cache keeps beside the layer vectors: the spec as run, labels, prompts, timing."""
    spec_dict = dict(spec.to_dict(), model_fingerprint=fingerprint, model_label=lm.label,
                     content_hash=samples.content_hash, n_truncated=n_cut, dataset_name=samples.name,
                     category=samples.category, label_names=list(samples.label_names))
    return {"spec": spec_dict, "labels": [int(x) for x in samples.labels], "prompts": list(prompts),
            "n_layers": lm.n_layers, "model_label": lm.label, "timing": timing}


def _compute(spec, key, fingerprint, store, samples, model_loader, batch_size, device, progress) -> Activations:
    lm, load_s = _load(spec, store, samples, model_loader, device, progress)
    t1 = time.perf_counter()
    cap = Capture(lm)
    ids, prompts, n_cut = cap.encode_samples(samples, spec.max_tokens, chat_template=spec.chat_template)
    layers = layer_numbers(lm.n_layers, spec.hook)
    n = len(ids)
    store.check_free_space(_space_needed(n, lm.n_layers, lm.hidden_size, spec.hook), f"the layer vectors of {n} prompts")
    have = np.zeros(n, dtype=bool)
    done_before = store.chunk_indices(key)  # a killed or cancelled run of this key resumes here
    have[done_before[done_before < n]] = True
    tracker = ProgressTracker(progress, "extract", n, start_done=int(have.sum()))
    tracker.update(int(have.sum()))
    reader = PooledLayers(spec.hook, layers, spec.pooling)

    def extract(rows) -> None:
        _extract_rows(cap, ids, reader, rows, have, store, key, batch_size, tracker)

    todo = np.flatnonzero(~have)
    extract(todo)
    meta = _meta(spec, fingerprint, lm, samples, prompts, n_cut,
                 _timing(cap, load_s, time.perf_counter() - t1, len(todo)))
    for attempt in range(3):
        try:
            store.finish_layers(key, list(layers), meta)
            break
        except IncompleteEntryError as exc:  # chunks lost (e.g. the cache folder was removed): redo those rows
            if attempt == 2:
                raise
            log.warning("%d rows of %s were lost from the cache; computing them again", len(exc.missing), key)
            have[:] = True
            have[np.asarray(exc.missing, dtype=np.int64)] = False
            extract(np.asarray(exc.missing, dtype=np.int64))
    return activations_from_key(store, key, cached=False)
