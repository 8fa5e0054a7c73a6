"""The on-disk store: per-layer files, checksums, chunks, bounded assembly, results, locks, damage, removal."""

import gc
import json
import logging
import os
import shutil
import threading
import time

import numpy as np
import pytest

from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.results.cache_check import verify_cache
from concept_depth.storage.store import CorruptEntryError, IncompleteEntryError, Store


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
    assert store.verify("k1")


def test_nothing_is_pickled(store):
    store.write_layers("k1", np.ones((2, 2, 3), dtype=np.float32), [0, 1], {"labels": [0, 1]})
    store.put_result("run", "r", {"spec": {"model": "m"}, "x": np.float32(0.5)})
    assert store.get_result("run", "r")["x"] == 0.5  # numpy scalars stored as plain JSON numbers
    files = [p for p in store.directory.rglob("*") if p.is_file()]
    assert files and not any(p.suffix in (".pkl", ".pickle") for p in files)
    assert not (store.directory / "diskcache").exists()


def test_corrupted_layer_is_detected(store):
    feats = np.ones((2, 2, 3), dtype=np.float32)
    store.write_layers("k", feats, [1, 2], {})
    path = store.layer_path("k", 2)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert not store.verify("k")
    with pytest.raises(CorruptEntryError):
        store.read_layer("k", 2)
    path.write_bytes(bytes(data[:-6]))  # truncated
    assert not store.verify("k")
    with pytest.raises(CorruptEntryError, match="layer 2"):
        store.read_layer("k", 2)
    np.testing.assert_array_equal(store.read_layer("k", 1), feats[:, 0, :])  # the other layer is fine


def test_chunks_accumulate_and_are_cleared_on_completion(store):
    store.write_chunk("k", np.array([3, 1]), np.zeros((2, 2, 2)))
    store.write_chunk("k", np.array([0]), np.ones((1, 2, 2)))
    idx, feats = store.read_chunks("k")
    assert idx.tolist() == [3, 1, 0] and feats.shape == (3, 2, 2)
    assert store.chunk_indices("k").tolist() == [0, 1, 3]
    assert [i.tolist() for i, _ in store.iter_chunks("k")] == [[3, 1], [0]]
    assert not store.has_activations("k")
    assert [e.kind for e in store.entries()] == ["partial"]
    store.write_layers("k", np.zeros((4, 2, 2), dtype=np.float32), [0, 1], {})
    assert store.read_chunks("k")[1] is None and store.chunk_indices("k").size == 0


def test_finish_layers_assembles_chunks_into_checksummed_layers(store):
    rng = np.random.default_rng(1)
    n, layers, d = 23, [0, 1, 2, 3], 5
    full = rng.normal(size=(n, len(layers), d)).astype(np.float32)
    order = rng.permutation(n)  # extraction writes rows longest-prompt first, in any order
    for part in np.array_split(order, 6):
        store.write_chunk("k", part, full[part])
    meta = store.finish_layers("k", layers, {"labels": [i % 2 for i in range(n)], "spec": {"m": 1}})
    assert meta["n_samples"] == n and meta["hidden_size"] == d and meta["layers"] == layers
    assert meta["complete"] and meta["size_bytes"] == full.nbytes and set(meta["sha256"]) == {"0", "1", "2", "3"}
    assert meta["spec"] == {"m": 1} and store.activation_meta("k")["labels"][:3] == [0, 1, 0]
    np.testing.assert_array_equal(store.read_all("k"), full)
    assert store.verify("k") and store.chunk_indices("k").size == 0  # chunks dropped


def test_finish_layers_memory_does_not_grow_with_n(store, monkeypatch):
    """Assembly reads one chunk at a time: no array of N rows is ever allocated in memory."""
    import concept_depth.storage.layer_files as F

    n, k, d = 4000, 3, 64
    for start in range(0, n, 500):
        idx = np.arange(start, start + 500)
        store.write_chunk("big", idx, np.broadcast_to(idx[:, None, None], (500, k, d)).astype(np.float32))
    biggest = []
    real_zeros, real_empty = np.zeros, np.empty

    def spy(fn):
        def wrapped(shape, *a, **kw):
            size = int(np.prod(shape)) if np.ndim(shape) else int(shape)
            biggest.append(size)
            return fn(shape, *a, **kw)
        return wrapped

    monkeypatch.setattr(F.np, "zeros", spy(real_zeros))
    monkeypatch.setattr(F.np, "empty", spy(real_empty))
    store.finish_layers("big", [0, 1, 2], {"n_samples": n})
    monkeypatch.undo()
    assert max(biggest, default=0) <= n  # at most a [N] bool mask, never [N, D] or [N, K, D]
    layer = store.read_layer("big", 2)
    assert layer.shape == (n, d) and layer[1234, 0] == 1234.0


def test_finish_layers_names_missing_rows_and_keeps_the_chunks(store):
    store.write_chunk("k", np.array([0, 1, 2]), np.ones((3, 2, 4)))
    store.write_chunk("k", np.array([5]), np.ones((1, 2, 4)))
    with pytest.raises(IncompleteEntryError) as info:
        store.finish_layers("k", [0, 1], {"labels": [0, 1] * 3})
    assert info.value.missing.tolist() == [3, 4] and "2 of 6 rows" in str(info.value)
    assert isinstance(info.value, UnavailableError) and len(str(info.value).splitlines()) == 1
    assert not store.has_activations("k") and store.chunk_indices("k").tolist() == [0, 1, 2, 5]
    store.write_chunk("k", np.array([3, 4]), np.ones((2, 2, 4)))  # the rows computed again
    assert store.finish_layers("k", [0, 1], {"labels": [0, 1] * 3})["n_samples"] == 6


def test_damaged_chunk_is_dropped_and_its_rows_count_as_missing(store, caplog):
    store.write_chunk("k", np.array([0, 1]), np.ones((2, 2, 3)))
    store.write_chunk("k", np.array([2, 3]), np.ones((2, 2, 3)))
    vec = sorted((store.directory / "arrays" / "k" / "chunks").glob("*.vec.npy"))[1]
    vec.write_bytes(vec.read_bytes()[:-5])  # e.g. the disk filled up
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.chunk_indices("k").tolist() == [0, 1]
    assert len(caplog.records) == 1 and "dropped" in caplog.records[0].getMessage()


def test_check_free_space_refuses_with_needed_and_free(store):
    store.check_free_space(1024, "extraction")
    with pytest.raises(UnavailableError) as info:
        store.check_free_space(2**62, "extracting 1,000,000 prompts x 19 layers x 640")
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and "needs 4294967296.0 GB" in msg and "free" in msg
    assert str(store.directory) in msg


def test_results_listing_and_deletion(store):
    store.put_result("run", "a", {"spec": {"x": 1}, "created_ts": 1.0})
    store.put_result("run", "b", {"spec": {"x": 2}, "created_ts": 2.0})
    store.put_result("expression", "c", {"spec": {}, "created_ts": 3.0})
    assert sorted(r["spec"]["x"] for r in store.list_results("run")) == [1, 2]
    kinds = [e.kind for e in store.entries()]
    assert kinds == ["expression", "run", "run"]  # newest first
    store.delete("run", "a")
    assert store.get_result("run", "a") is None and len(store.list_results("run")) == 1


@pytest.mark.parametrize("key", ["..", "../../x", "/some/dir", "a/b", ".hidden", "", "a\\b", "x" * 300, None])
def test_keys_are_names_never_paths(store, tmp_path, key):
    victim = tmp_path / "victim"
    victim.mkdir()
    for call in (lambda: store.delete("activations", key), lambda: store.delete_activations(key),
                 lambda: store.delete("run", key), lambda: store.put_result("run", key, {}),
                 lambda: store.write_chunk(key, np.array([0]), np.ones((1, 1, 1))),
                 lambda: store.delete_converted_model(key)):
        with pytest.raises(BadInputError) as info:
            call()
        assert len(str(info.value).splitlines()) == 1
    assert victim.is_dir() and store.directory.is_dir()


def test_damaged_result_value_is_restored_from_its_sidecar_else_dropped(store, caplog):
    """Item 3, and issue 22 item 6: a truncated value file is restored from the entry's sidecar file;
    with no intact sidecar it reads as absent (recomputed), in one line; other entries keep working."""
    big = {"spec": {}, "blob": os.urandom(100_000).hex()}
    store.put_result("run", "big", big)  # large: its own value file in the index
    store.put_result("run", "small", {"spec": {"x": 1}})
    [value_file] = list((store.directory / "index").rglob("*.val"))
    value_file.write_bytes(value_file.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.get_result("run", "big") == big
        assert store.get_result("run", "big") == big  # the row itself was mended: no second line
    assert len(caplog.records) == 1 and "restored it from its sidecar" in caplog.records[0].getMessage()
    caplog.clear()
    [value_file] = list((store.directory / "index").rglob("*.val"))
    value_file.write_bytes(value_file.read_bytes()[:100])
    store.sidecar_path("run", "big").unlink()  # no second copy this time
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.get_result("run", "big") is None
        assert [r["spec"] for r in store.list_results("run")] == [{"x": 1}]
        assert [e.key for e in store.entries()] == ["small"]
    assert len(caplog.records) == 1 and "damaged" in caplog.records[0].getMessage()
    store.put_result("run", "big", {"spec": {}, "again": True})  # recomputed value lands
    assert store.get_result("run", "big") == {"spec": {}, "again": True}


def test_damaged_activation_metadata_is_restored_from_its_sidecar_else_dropped(store, caplog):
    store.write_layers("k", np.ones((2, 2, 3), dtype=np.float32), [0, 1], {"labels": [0, 1]})
    store.index.set("act/k/meta", {"complete": True, "layers": "nonsense"})
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.activation_meta("k")["labels"] == [0, 1] and store.verify("k")
    assert "restored it from its sidecar" in caplog.text
    store.index.set("act/k/meta", {"complete": True, "layers": "nonsense"})
    store.sidecar_path("activations", "k").unlink()
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert store.activation_meta("k") is None and not store.has_activations("k")
    assert "damaged metadata" in caplog.text and not store.layer_path("k", 0).exists()


def test_damaged_index_database_is_moved_aside_and_rebuilt_from_sidecars(tmp_path, caplog):
    """Item 3 and issue 22 item 6: a damaged cache.db no longer makes every command fail, and loses nothing."""
    path = tmp_path / "cache"
    Store(path).put_result("run", "a", {"spec": {}})
    (path / "index" / "cache.db").write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        store = Store(path)
    assert store.get_result("run", "a") == {"spec": {}}  # rebuilt from its sidecar file
    store.put_result("run", "b", {"spec": {}})
    assert store.get_result("run", "b") == {"spec": {}}
    [line] = [r.getMessage() for r in caplog.records]
    assert "moved it to index.damaged-" in line and "rebuilt 1 entries from their sidecar files" in line
    assert [p.name.startswith("index.damaged-") for p in store.leftovers()] == [True]


def _fill(store: Store) -> dict:
    """One entry of every sort: activations and results of four kinds (results have no arrays)."""
    rng = np.random.default_rng(3)
    feats = rng.normal(size=(4, 2, 3)).astype(np.float32)
    store.write_layers("acts", feats, [0, 1], {"labels": [0, 1, 0, 1], "spec": {"m": "tiny"}})
    values = {("run", "r1"): {"spec": {"x": 1}, "score": np.float32(0.25), "layers": (1, 2)},
              ("expression", "e1"): {"spec": {}, "by_layer": {"3": 0.5, "10": 0.25}},
              ("import", "import-x"): {"spec": {"model": "m"}, "nan": float("nan")},
              ("sweep", "sweep-1"): {"total": 3, "done": 1}}
    for (kind, key), value in values.items():
        store.put_result(kind, key, value)
    return {"feats": feats, "values": {k: store.get_result(*k) for k in values}}


def _destroy_index(path, how: str) -> None:
    db = path / "index" / "cache.db"
    for extra in db.parent.glob("cache.db-*"):
        extra.unlink()
    if how == "truncate":
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "garbage":
        db.write_bytes(b"\x00garbage" * 900)
    elif how == "folder":
        shutil.rmtree(path / "index")
    else:
        db.unlink()


@pytest.mark.parametrize("how", ["truncate", "empty", "garbage", "delete", "folder"])
def test_every_entry_is_rebuilt_from_its_sidecar_file(tmp_path, caplog, how):
    """Issue 22 items 6 and 16: truncated, 0-byte, garbage or deleted index: every entry comes back, one line."""
    path = tmp_path / "cache"
    before = _fill(Store(path))
    gc.collect()  # no index connection left open
    _destroy_index(path, how)
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        store = Store(path)
        for (kind, key), value in before["values"].items():
            assert json.dumps(store.get_result(kind, key), sort_keys=True) == json.dumps(value, sort_keys=True)
        np.testing.assert_array_equal(store.read_all("acts"), before["feats"])
        assert store.verify("acts") and len(store.entries()) == 5
    [line] = [r.getMessage() for r in caplog.records]
    assert "rebuilt 5 entries from their sidecar files" in line
    assert ("empty (0 bytes)" if how == "empty" else "missing" if how in ("delete", "folder") else "damaged") in line
    caplog.clear()
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert len(Store(path).entries()) == 5  # rebuilt once: the next open says nothing
    assert caplog.records == []


def test_a_damaged_sidecar_is_never_used(tmp_path, caplog):
    path = tmp_path / "cache"
    store = Store(path)
    store.put_result("run", "good", {"spec": {}, "v": 1})
    store.put_result("run", "edited", {"spec": {}, "v": 2})
    side = store.sidecar_path("run", "edited")
    side.write_text(side.read_text().replace('"v":2', '"v":3'))  # the checksum no longer matches
    store.index.close()
    (path / "index" / "cache.db").unlink()
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        store = Store(path)
        assert store.get_result("run", "good") == {"spec": {}, "v": 1}
        assert store.get_result("run", "edited") is None
    [line] = [r.getMessage() for r in caplog.records]
    assert "rebuilt 1 entries" in line and "1 damaged sidecar files were left out" in line


def test_a_zero_byte_index_without_sidecars_is_said_not_silent(tmp_path, caplog):
    """Issue 22 item 16: a 0-byte cache.db lost entries with no warning (here: entries of an older version)."""
    path = tmp_path / "cache"
    store = Store(path)
    store.index.set("res/run/old", {"spec": {}})  # written the old way: no sidecar file
    store.index.close()
    (path / "index" / "cache.db").write_bytes(b"")
    with caplog.at_level(logging.WARNING, "concept_depth.store"):
        assert Store(path).get_result("run", "old") is None
    [line] = [r.getMessage() for r in caplog.records]
    assert "empty (0 bytes)" in line and "computed again" in line


def test_entries_of_an_older_version_keep_working_and_repair_writes_their_sidecars(tmp_path):
    """A cache made before sidecars: found as before; `verify --repair` backfills the sidecar files."""
    path = tmp_path / "cache"
    store = Store(path)
    store.write_layers("acts", np.ones((2, 2, 3), dtype=np.float32), [0, 1], {"labels": [0, 1]})
    meta = store.activation_meta("acts")
    for p in (store.sidecar_path("activations", "acts"), path / "arrays" / "acts" / "owner.json"):
        p.unlink()  # as an older version left it
    store.index.set("res/expression/old", {"spec": {"x": 1}})
    assert store.get_result("expression", "old") == {"spec": {"x": 1}} and store.activation_meta("acts") == meta
    notes = verify_cache(store)
    assert len(notes) == 2 and all(f.note and "no sidecar copy" in f.problem for f in notes)
    assert all(f.fixed == "sidecar written" for f in verify_cache(store, repair=True))
    assert verify_cache(store) == []
    store.index.close()
    (path / "index" / "cache.db").unlink()
    store = Store(path)
    assert store.get_result("expression", "old") == {"spec": {"x": 1}} and store.verify("acts")


def test_removed_folder_is_recreated_and_the_work_in_hand_lands(store):
    """Item 4: the folder vanishes while the store object lives on (the CLI mid-run, the app's cached store)."""
    store.put_result("run", "old", {"spec": {}})
    shutil.rmtree(store.directory)
    assert store.get_result("run", "old") is None and store.list_results("run") == []
    store.put_result("run", "new", {"spec": {"x": 1}})
    store.write_layers("acts", np.ones((3, 2, 4), dtype=np.float32), [0, 1], {"labels": [0, 1, 0]})
    assert Store(store.directory).get_result("run", "new") == {"spec": {"x": 1}}  # on disk, not a ghost file
    assert Store(store.directory).verify("acts")
    shutil.rmtree(store.directory)
    store.write_chunk("c", np.array([0, 1]), np.ones((2, 2, 4)))
    assert store.finish_layers("c", [0, 1], {"n_samples": 2})["complete"]
    with store.lock("after-removal"):
        pass
    shutil.rmtree(store.directory)
    assert store.memoize("run", "m", lambda: {"spec": {}, "v": 1}) == ({"spec": {}, "v": 1}, False)
    assert store.memoize("run", "m", lambda: {"v": 2}) == ({"spec": {}, "v": 1}, True)


def test_memoize_recomputes_when_the_reader_finds_damage(store):
    calls = []

    def read():
        if not calls:
            raise CorruptEntryError("bad checksum")
        return calls[-1]

    value, hit = store.memoize("run", "k", lambda: calls.append("v") or "v", read=read, write=lambda v: None)
    assert (value, hit) == ("v", False)


def test_clear_removes_entries_arrays_and_the_old_format(store):
    store.write_layers("k", np.ones((2, 2, 3), dtype=np.float32), [0, 1], {})
    store.put_result("run", "r", {"spec": {}})
    old = store.directory / "diskcache"
    old.mkdir()
    (old / "cache.db").write_bytes(b"old pickle format")
    assert store.leftovers() == [old]
    store.clear()
    assert store.entries() == [] and not old.exists() and not store.layer_path("k", 0).exists()


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


def test_cache_dir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(BadInputError, match="is a file"):
        Store(tmp_path / "f")


def test_a_write_cut_between_sidecar_and_index_row_is_regained(store):
    """The sidecar is written first: killed before the index row landed, the entry is still found."""
    store.put_result("run", "a", {"spec": {}, "v": 1})
    store.index.delete("res/run/a")  # as if the process died between the two writes
    assert [e.key for e in store.entries()] == []
    assert store.get_result("run", "a") == {"spec": {}, "v": 1}  # read: added back
    assert [e.key for e in store.entries()] == ["a"]
    store.delete_result("run", "a")
    assert not store.sidecar_path("run", "a").exists() and store.get_result("run", "a") is None
