"""File lookup: data dir, cache, verified download, and the offline error. No network is used."""

from __future__ import annotations

import hashlib

import pytest

from concept_depth.core.errors import UnavailableError
from concept_depth.core.specs import DatasetSpec
from concept_depth.datasets import get_dataset_info, load_samples, sources

COIN = b'{"examples": [' + b", ".join(
    b'{"question": "q%d", "answer": "%s"}' % (i, b"yes" if i % 2 else b"no") for i in range(6)) + b"]}"


@pytest.fixture()
def calls(monkeypatch):
    """Replace the downloader: records URLs, serves ``payload`` (or raises when it is None)."""
    state = {"urls": [], "payload": None}

    def fake_fetch(url, timeout=0):
        state["urls"].append(url)
        if state["payload"] is None:
            raise OSError("Network is unreachable")
        return state["payload"]
    monkeypatch.setattr(sources, "fetch", fake_fetch)
    monkeypatch.delenv("CONCEPT_DEPTH_DATA_DIR", raising=False)
    return state


def test_offline_error_names_file_url_and_variable(calls, tmp_path):
    with pytest.raises(UnavailableError) as err:
        load_samples(DatasetSpec(name="cities"), cache_dir=tmp_path)
    msg = str(err.value)
    assert "cities.csv" in msg and "CONCEPT_DEPTH_DATA_DIR" in msg and "Network is unreachable" in msg
    assert "https://raw.githubusercontent.com/Luckfort/CD/4902d58365f7cdc603cfe71c0b627dfbcd1a1125/dataset/cities.csv" in msg
    assert "\n" not in msg and err.value.exit_code == 3


def test_offline_error_with_an_unroutable_url(monkeypatch, tmp_path):
    monkeypatch.delenv("CONCEPT_DEPTH_DATA_DIR", raising=False)
    src = sources.FileSource("x.csv", "http://192.0.2.1:9/x.csv", None)  # TEST-NET-1: never routed
    monkeypatch.setattr(sources, "DOWNLOAD_TIMEOUT_S", 0.2)
    monkeypatch.setattr(sources, "fetch", lambda url, timeout=0.2: sources.urllib.request.urlopen(url, timeout=0.2))
    with pytest.raises(UnavailableError, match=r"x\.csv.*http://192\.0\.2\.1:9/x\.csv.*CONCEPT_DEPTH_DATA_DIR"):
        sources.locate_file(src, cache_dir=tmp_path)


def test_download_is_verified_cached_and_done_once(calls, tmp_path, monkeypatch):
    monkeypatch.setitem(sources.SHA256, "coin_flip.json", hashlib.sha256(COIN).hexdigest())
    src = sources.luckfort_source("coin_flip.json")
    calls["payload"] = COIN
    path = sources.locate_file(src, cache_dir=tmp_path)
    assert path == tmp_path / "datasets" / "coin_flip.json" and path.read_bytes() == COIN
    assert sources.locate_file(src, cache_dir=tmp_path) == path
    assert len(calls["urls"]) == 1 and calls["urls"][0].endswith("/dataset/coin_flip.json")


def test_checksum_mismatch_is_refused_and_not_cached(calls, tmp_path):
    calls["payload"] = b"tampered"
    with pytest.raises(UnavailableError, match="sha256"):
        sources.locate_file(sources.luckfort_source("cities.csv"), cache_dir=tmp_path)
    assert not (tmp_path / "datasets" / "cities.csv").exists()


def test_unknown_checksum_is_recorded_on_first_download_then_enforced(calls, tmp_path):
    src = sources.FileSource("sarcasm.json", "https://example.invalid/sarcasm.json", None)
    calls["payload"] = b'{"headline": "h", "is_sarcastic": 1}\n'
    path = sources.locate_file(src, cache_dir=tmp_path)
    record = path.with_name("sarcasm.json.sha256").read_text()
    assert record.split()[0] == hashlib.sha256(calls["payload"]).hexdigest()
    path.write_bytes(b"changed later")
    with pytest.raises(UnavailableError, match="does not match"):
        sources.locate_file(src, cache_dir=tmp_path)


def test_data_dir_wins_over_cache_and_env_is_read(calls, tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "cache"
    (data).mkdir()
    (cache / "datasets").mkdir(parents=True)
    src = sources.FileSource("f.txt", "https://example.invalid/f.txt", None)
    (data / "f.txt").write_text("from data dir")
    (cache / "datasets" / "f.txt").write_text("from cache")
    assert sources.locate_file(src, data_dir=data, cache_dir=cache).read_text() == "from data dir"
    monkeypatch.setenv("CONCEPT_DEPTH_DATA_DIR", str(data))
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
    assert sources.locate_file(src).read_text() == "from data dir"
    (data / "f.txt").unlink()
    assert sources.locate_file(src).read_text() == "from cache"
    assert calls["urls"] == []
    assert get_dataset_info("cities", cache_dir=cache).available is False


def test_a_local_copy_that_differs_from_the_published_file_is_refused(calls, tmp_path):
    (tmp_path / "cities.csv").write_text("statement,label\nx,1\n")
    with pytest.raises(UnavailableError, match="does not match the published cities.csv"):
        load_samples(DatasetSpec(name="cities"), data_dir=tmp_path, cache_dir=tmp_path / "c")
