"""End to end on the CLI: a cache folder removed mid-run (item 4); an import never a cached result (item 2);
a destroyed index loses no result (issue 22 item 6)."""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from concept_depth.analyses.probe import list_runs
from concept_depth.capture import Capture
from concept_depth.cli.main import main
from concept_depth.storage.store import Store

TINY = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "40", "--quiet", "--jobs", "1",
        "--batch-size", "4"]


def test_cache_folder_removed_during_extraction_the_run_still_lands(tmp_path, monkeypatch, capsys):
    """Item 4: `rm -rf cache/` after some batches: the store recreates it and the finished run is stored."""
    from concept_depth.cli import progress_bar

    cache = tmp_path / "cache"
    removed = []
    real_call = progress_bar.TqdmProgress.__call__

    def remove_midway(self, event):
        if event.stage == "extract" and 0 < event.done < event.total and not removed:
            shutil.rmtree(cache)
            removed.append(event.done)
        return real_call(self, event)

    monkeypatch.setattr(progress_bar.TqdmProgress, "__call__", remove_midway)
    out = tmp_path / "r.json"
    assert main(["run", *TINY, "--cache-dir", str(cache), "--out", str(out)]) == 0, capsys.readouterr().err
    assert removed, "the fault was not injected"
    result = json.loads(out.read_text())
    store = Store(cache)
    assert store.get_result("run", result["key"]) is not None  # on disk in the recreated folder
    assert store.verify(result["activation_key"])
    monkeypatch.undo()
    assert main(["run", *TINY, "--cache-dir", str(cache)]) == 0
    assert "(cached result)" in capsys.readouterr().out


def test_an_imported_file_is_never_printed_as_a_cached_result(tmp_path, capsys):
    """Item 2: importing a doctored copy of a run (same key) neither replaces it nor is served by `run`."""
    cache = ["--cache-dir", str(tmp_path / "cache")]
    out = tmp_path / "r.json"
    assert main(["run", *TINY, *cache, "--out", str(out)]) == 0
    original = json.loads(out.read_text())
    doctored = dict(original, depth=dict(original["depth"], peak_accuracy=0.999))
    (tmp_path / "doctored.json").write_text(json.dumps(doctored))
    capsys.readouterr()
    assert main(["cache", "import", str(tmp_path / "doctored.json"), *cache]) == 2
    assert "clash" in capsys.readouterr().err
    unkeyed = dict(doctored, key="elsewhere")  # under another key it is imported, as an import
    (tmp_path / "elsewhere.json").write_text(json.dumps(unkeyed))
    assert main(["cache", "import", str(tmp_path / "elsewhere.json"), *cache]) == 0
    again = tmp_path / "again.json"
    assert main(["run", *TINY, *cache, "--out", str(again)]) == 0
    assert "(cached result)" in capsys.readouterr().out
    assert json.loads(again.read_text())["depth"]["peak_accuracy"] == original["depth"]["peak_accuracy"] != 0.999


def _run_args(limit: str) -> list[str]:
    args = list(TINY)
    args[args.index("--limit") + 1] = limit
    return args


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """A cache holding three computed runs (and their layer vectors), and the three result files."""
    root = tmp_path_factory.mktemp("three-runs")
    cache = root / "cache"
    results = []
    for limit in ("20", "30", "40"):
        out = root / f"run-{limit}.json"
        assert main(["run", *_run_args(limit), "--cache-dir", str(cache), "--out", str(out)]) == 0
        results.append((limit, json.loads(out.read_text())))
    gc.collect()  # close every index connection before the cache is copied
    return cache, results


def _destroy(db: Path, how: str) -> None:
    for extra in db.parent.glob("cache.db-*"):  # the database's write-ahead log goes with it
        extra.unlink()
    if how == "truncate":
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "garbage":
        db.write_bytes(os.urandom(4096) + b"not a database" * 200)
    else:
        db.unlink()


@pytest.mark.parametrize("how", ["truncate", "empty", "garbage", "delete"])
def test_a_destroyed_index_loses_no_result(three_runs, tmp_path, monkeypatch, capsys, caplog, how):
    """Item 6 (and item 16's 0-byte cache.db): three runs, the index destroyed; all three are found again
    with no forward pass, and what happened is said in one warning line."""
    source, results = three_runs
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    _destroy(cache / "index" / "cache.db", how)
    passes = []

    def no_forward_pass(self, *args, **kwargs):
        passes.append(1)
        raise AssertionError("a forward pass ran: the stored result was lost")

    monkeypatch.setattr(Capture, "run", no_forward_pass)
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        for limit, result in results:
            out = tmp_path / f"again-{limit}.json"
            assert main(["run", *_run_args(limit), "--cache-dir", str(cache), "--out", str(out)]) == 0
            assert "(cached result)" in capsys.readouterr().out
            again = json.loads(out.read_text())
            assert again["key"] == result["key"] and again["layers"] == result["layers"]
    assert passes == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "rebuilt" in warnings[0] and "\n" not in warnings[0], warnings
    expected = {"truncate": "damaged", "garbage": "damaged", "empty": "empty (0 bytes)", "delete": "missing"}[how]
    assert expected in warnings[0]
    store = Store(cache)
    for _, result in results:  # the layer vectors are found too, intact
        assert store.verify(result["activation_key"])
    assert main(["cache", "verify", "--cache-dir", str(cache)]) == 0, capsys.readouterr()


def test_cache_verify_repair_puts_lost_index_rows_back_from_their_sidecars(three_runs, tmp_path, capsys):
    """Item 6, on demand: rows gone from an index that opens fine (no rebuild on opening) hide their runs
    from every listing; ``cache verify`` names each, changing nothing; ``--repair`` puts them back."""
    source, results = three_runs
    cache = tmp_path / "cache"
    shutil.copytree(source, cache)
    store = Store(cache)
    lost = [k for k in store.index.keys("res/") if k.startswith("res/run/")]
    assert len(lost) == 3
    for k in lost:
        store.index.delete(k)
    store.index.close()
    assert list_runs(Store(cache)) == []
    capsys.readouterr()
    assert main(["cache", "verify", "--cache-dir", str(cache)]) == 1
    out = capsys.readouterr().out
    assert out.count("in a sidecar file but not in the index") == 3 and "restored" not in out
    assert list_runs(Store(cache)) == []  # without --repair nothing is written
    assert main(["cache", "verify", "--repair", "--cache-dir", str(cache)]) == 0
    assert capsys.readouterr().out.count("restored from its sidecar") == 3
    assert sorted(r.key for r in list_runs(Store(cache))) == sorted(r["key"] for _, r in results)
