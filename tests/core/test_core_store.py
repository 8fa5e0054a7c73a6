"""The on-disk store: per-layer activations, checksums, chunks, results, locks."""

import threading
import time

import numpy as np
import pytest

from concept_depth.store import CorruptEntryError, Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "cache")


def test_layers_round_trip_and_single_layer_read(store):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(5, 3, 4)).astype(np.float32)
    store.write_layers("k1", feats, [0, 1, 2], {"spec": {"model": "m"}})
    assert store.has_activations("k1")
    np.testing.assert_array_equal(store.read_layer("k1", 1), feats[:, 1, :])
    np.testing.assert_array_equal(store.read_all("k1"), feats)
    meta = store.activation_meta("k1")
    assert meta["layers"] == [0, 1, 2] and meta["n_samples"] == 5 and meta["hidden_size"] == 4


def test_corrupted_layer_is_detected(store):
    feats = np.ones((2, 2, 3), dtype=np.float32)
    store.write_layers("k", feats, [1, 2], {})
    store.cache.set("act/k/layer/2", b"\x00" * (2 * 3 * 4))
    assert not store.verify("k")
    with pytest.raises(CorruptEntryError):
        store.read_layer("k", 2)


def test_chunks_accumulate_and_are_cleared_on_completion(store):
    store.write_chunk("k", np.array([3, 1]), np.zeros((2, 2, 2)))
    store.write_chunk("k", np.array([0]), np.ones((1, 2, 2)))
    idx, feats = store.read_chunks("k")
    assert idx.tolist() == [3, 1, 0] and feats.shape == (3, 2, 2)
    assert not store.has_activations("k")
    store.write_layers("k", np.zeros((4, 2, 2), dtype=np.float32), [0, 1], {})
    assert store.read_chunks("k")[1] is None


def test_results_listing_and_deletion(store):
    store.put_result("run", "a", {"spec": {"x": 1}, "created_ts": 1.0})
    store.put_result("run", "b", {"spec": {"x": 2}, "created_ts": 2.0})
    store.put_result("expression", "c", {"spec": {}, "created_ts": 3.0})
    assert sorted(r["spec"]["x"] for r in store.list_results("run")) == [1, 2]
    kinds = [e.kind for e in store.entries()]
    assert kinds == ["expression", "run", "run"]  # newest first
    store.delete("run", "a")
    assert store.get_result("run", "a") is None and len(store.list_results("run")) == 1


def test_lock_serialises_two_holders(store):
    order = []

    def hold(name):
        with store.lock("same"):
            order.append(f"{name}-in")
            time.sleep(0.2)
            order.append(f"{name}-out")

    threads = [threading.Thread(target=hold, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # never interleaved: each holder leaves before the other enters
    assert order[0][0] == order[1][0] and order[2][0] == order[3][0]


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "envcache"))
    assert Store().directory == (tmp_path / "envcache").resolve()
