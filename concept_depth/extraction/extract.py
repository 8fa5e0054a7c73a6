"""``extract_activations``: cached, resumable, locked, layer-wise extraction."""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from ..datasets.sample_set import SampleSet
from ..errors import BadInputError
from ..progress import ProgressCallback, ProgressTracker
from ..specs import ExtractionSpec, ModelSpec
from ..store import Store
from .activations import Activations, activations_from_key
from .forward import PooledForward, common_prefix, layer_numbers
from .keys import activation_key
from .tokenize import encode_prompts

log = logging.getLogger(__name__)

#: Partial results are saved at least this often (seconds), so a kill loses little.
CHUNK_SECONDS = 10.0
#: A shared token prefix shorter than this is not worth a separate pass.
MIN_PREFIX_TOKENS = 2


def plan_batches(lengths: list[int], order: list[int], batch_size: int, max_growth: int = 8) -> list[list[int]]:
    """Group ``order`` (sorted longest first) into batches.

    A batch holds ``batch_size`` prompts, or more when they are short: it may grow while
    its padded size stays within the token count of the first (longest) batch, up to
    ``max_growth * batch_size`` prompts. Memory peaks stay those of the first batch and
    short suffixes (after a shared prefix) no longer run as tiny, inefficient matmuls.
    """
    if not order:
        return []
    budget = batch_size * max(32, lengths[order[0]])
    batches: list[list[int]] = []
    cur: list[int] = []
    cur_max = 0
    for i in order:
        new_max = max(cur_max, lengths[i])
        if cur and (len(cur) >= batch_size * max_growth or
                    (len(cur) >= batch_size and new_max * (len(cur) + 1) > budget)):
            batches.append(cur)
            cur, new_max = [], lengths[i]
        cur.append(i)
        cur_max = new_max
    batches.append(cur)
    return batches


def _load_samples(spec: ExtractionSpec, store: Store) -> SampleSet:
    from ..datasets import load_samples

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
    spec : model, dataset, hook, pooling, max tokens.
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
    from ..models.fingerprint import model_fingerprint

    if samples is None:
        samples = _load_samples(spec, store)
    if len(samples) == 0:
        raise BadInputError("the dataset has no samples")
    if batch_size < 1:
        raise BadInputError("batch size must be at least 1")
    fingerprint = model_fingerprint(spec.model, store.directory)
    key = activation_key(spec, samples, fingerprint)
    hit = _cached(store, key)
    if hit is not None:
        return hit
    with store.lock(key):
        hit = _cached(store, key)  # another process may have finished it while we waited
        if hit is not None:
            return hit
        return _compute(spec, key, fingerprint, store, samples, model_loader, batch_size, device, progress)


def _compute(spec, key, fingerprint, store, samples, model_loader, batch_size, device, progress) -> Activations:
    t0 = time.perf_counter()
    if model_loader is None:
        from ..models.loader import cached_loader

        model_loader = cached_loader(store.directory, device, progress)
    lm = model_loader(spec.model)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    ids, prompts, n_cut = encode_prompts(lm.tokenizer, samples, spec.max_tokens)
    layers = layer_numbers(lm.n_layers, spec.hook)
    n = len(ids)
    done_idx, done_feats = store.read_chunks(key)
    features = np.zeros((n, len(layers), lm.hidden_size), dtype=np.float32)
    have = np.zeros(n, dtype=bool)
    if done_feats is not None and done_feats.shape[1:] == features.shape[1:] and done_idx.max() < n:
        features[done_idx] = done_feats
        have[done_idx] = True
    todo = [i for i in np.argsort([-len(x) for x in ids], kind="stable") if not have[i]]
    tracker = ProgressTracker(progress, "extract", n, start_done=int(have.sum()))
    tracker.update(int(have.sum()))
    pad_id = lm.tokenizer.pad_token_id if lm.tokenizer.pad_token_id is not None else 0
    stats = {"prefix_tokens": 0, "prefix_batches": 0, "tokens_run": 0}
    with PooledForward(lm.model, spec.hook, spec.pooling, layers, lm.device) as fwd:
        if todo and fwd.supports_prefix():
            p = common_prefix([ids[i] for i in todo])
            if p >= MIN_PREFIX_TOKENS:
                fwd.set_prefix(ids[todo[0]][:p])
                stats["prefix_tokens"] = p
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

        p = stats["prefix_tokens"]
        batches = plan_batches([len(x) - p for x in ids], todo, batch_size)
        try:
            for chunk in batches:
                vecs = fwd.run([ids[i] for i in chunk], pad_id)  # [b, K, D]
                features[chunk] = vecs
                have[chunk] = True
                pending_idx.extend(int(i) for i in chunk)
                pending.append(vecs)
                if time.perf_counter() - last_flush >= CHUNK_SECONDS:
                    flush()
                tracker.update(int(have.sum()))
        finally:
            flush()  # keep finished work on cancel, error or interrupt
        stats["prefix_batches"] = fwd.prefix_batches
        stats["tokens_run"] = fwd.tokens_run
    extract_s = time.perf_counter() - t1
    fresh = len(todo)
    timing = {"load_s": round(load_s, 3), "extract_s": round(extract_s, 3),
              "prompts_per_s": round(fresh / extract_s, 3) if extract_s > 0 and fresh else 0.0,
              "computed": fresh, **stats}
    spec_dict = dict(spec.to_dict(), model_fingerprint=fingerprint, model_label=lm.label,
                     content_hash=samples.content_hash, n_truncated=n_cut, dataset_name=samples.name,
                     category=samples.category, label_names=list(samples.label_names))
    meta = {"spec": spec_dict, "labels": [int(x) for x in samples.labels], "prompts": list(prompts),
            "n_layers": lm.n_layers, "model_label": lm.label, "timing": timing}
    store.write_layers(key, features, list(layers), meta)
    return Activations(key=key, layers=tuple(layers), labels=np.asarray(samples.labels, dtype=np.int64),
                       prompts=tuple(prompts), n_layers=lm.n_layers, hidden_size=lm.hidden_size, spec=spec_dict,
                       model_label=lm.label, cached=False, timing=timing, store=store, _features=features)
