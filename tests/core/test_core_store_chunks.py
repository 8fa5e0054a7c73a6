"""Issue 22 item 9: a damaged chunk of an interrupted extraction must never become a verified entry.

Chunks were only shape-checked; the entry's checksum was made after assembly, so one value edited
in a chunk before resuming gave a row off by 12,349 and `cache verify` said all intact. Each chunk
is now checksummed when written and checked before it is used.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import concept_depth.extraction.extract as extract_module
from concept_depth.core.errors import Cancelled
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec
from concept_depth.extraction import activation_key, extract_activations
from concept_depth.models import model_fingerprint
from concept_depth.results.cache_check import verify_cache
from concept_depth.storage.store import IncompleteEntryError, Store

SPEC = ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"))


def _edit_one_value(store: Store, key: str, which: int = 0, delta: float = 12_349.0) -> None:
    """Change one number of chunk ``which`` in place, as a bit flip or a stray write would (same shape)."""
    vec = sorted((store.directory / "arrays" / key / "chunks").glob("*.vec.npy"))[which]
    array = np.load(vec)
    array[0, 1, 2] += delta
    np.save(vec, array)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_edited_chunk_is_dropped_before_assembly_with_one_line(store, caplog):
    rng = np.random.default_rng(0)
    full = rng.normal(size=(6, 2, 4)).astype(np.float32)
    store.write_chunk("k", np.arange(0, 3), full[:3])
    store.write_chunk("k", np.arange(3, 6), full[3:])
    _edit_one_value(store, "k", which=1)
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.chunk_indices("k").tolist() == [0, 1, 2]  # the resume point: rows 3..5 to compute again
    assert len(_warnings(caplog)) == 1 and "checksum" in _warnings(caplog)[0]
    with pytest.raises(IncompleteEntryError) as info:
        store.finish_layers("k", [0, 1], {"n_samples": 6})
    assert info.value.missing.tolist() == [3, 4, 5] and not store.has_activations("k")
    store.write_chunk("k", np.arange(3, 6), full[3:])
    store.finish_layers("k", [0, 1], {"n_samples": 6})
    np.testing.assert_array_equal(store.read_all("k"), full)


def test_assembly_checks_each_chunk_even_when_edited_after_the_resume_point(store, caplog):
    """Damage between the resume check and assembly: the rows are named missing, nothing is stored."""
    full = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
    store.write_chunk("k", np.arange(2), full)
    assert store.chunk_indices("k").tolist() == [0, 1]
    _edit_one_value(store, "k")
    with caplog.at_level(logging.WARNING, "concept_depth.store"), pytest.raises(IncompleteEntryError) as info:
        store.finish_layers("k", [0, 1], {"n_samples": 2})
    assert info.value.missing.tolist() == [0, 1] and not store.has_activations("k")
    assert len(_warnings(caplog)) == 1
    assert not (store.directory / "arrays" / "k" / "layer-0.npy").exists()


def test_verify_reports_an_edited_chunk(store):
    store.write_chunk("k", np.arange(2), np.ones((2, 2, 3), dtype=np.float32))
    _edit_one_value(store, "k")
    [finding] = verify_cache(store)
    assert finding.what == "partial" and finding.key == "k" and finding.problem.endswith(": failed its checksum")
    verify_cache(store, repair=True)
    assert verify_cache(store) == [] and store.chunk_indices("k").size == 0


def test_resume_after_a_chunk_was_edited_gives_the_right_numbers(make_samples, tiny_models, store, tmp_path,
                                                                 monkeypatch, caplog):
    """The issue's case end to end: cancel, edit one chunk value, resume; the entry equals a fresh one."""
    monkeypatch.setattr(extract_module, "CHUNK_SECONDS", 0.0)  # one chunk per batch
    samples = make_samples()

    def load(spec):
        return tiny_models("llama")

    seen = []
    with pytest.raises(Cancelled):
        extract_activations(SPEC, store=store, samples=samples, model_loader=load, batch_size=2,
                            progress=lambda e: seen.append(e.done) or e.done < 4)
    key = activation_key(SPEC, samples, model_fingerprint(SPEC.model))
    assert len(sorted((store.directory / "arrays" / key / "chunks").glob("*.vec.npy"))) >= 2
    _edit_one_value(store, key, which=0)
    with caplog.at_level(logging.WARNING):
        resumed = extract_activations(SPEC, store=store, samples=samples, model_loader=load, batch_size=2)
    assert len(_warnings(caplog)) == 1, _warnings(caplog)
    fresh = extract_activations(SPEC, store=Store(tmp_path / "fresh"), samples=samples, model_loader=load,
                                batch_size=2)
    np.testing.assert_allclose(resumed.all(), fresh.all(), atol=1e-5, rtol=1e-5)
    assert store.verify(key) and verify_cache(store) == []
