"""`cache list|delete|clear|verify|import`: items 1 (delete by key only), 2 (import), 3 (damage), 9 (--cache-dir);
issue 22 items 13 (only what the cache made), 14 (deep imports), 16 (verify changes nothing, leftovers, grammar)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from concept_depth.cli.main import main
from concept_depth.storage.store import Store


@pytest.fixture
def cache(tmp_path, make_run):
    """A cache with activations, two runs and a converted model."""
    store = Store(tmp_path / "cache")
    store.write_layers("a1b2c3d4e5", np.ones((4, 2, 3), dtype=np.float32), [0, 1], {"labels": [0, 1, 0, 1]})
    for key in ("run0001", "run0002"):
        store.put_result("run", key, make_run(key=key).to_dict())
    (store.directory / "models" / "tiny-llama-v1").mkdir(parents=True)  # as the loader saves a tiny model
    (store.directory / "models" / "tiny-llama-v1" / "config.json").write_bytes(b"{}")
    (store.directory / "models" / "tiny-llama-v1" / "w.bin").write_bytes(b"x" * 10)
    return store


def _keys(store: Store) -> list[str]:
    return sorted(e.key for e in store.entries())


@pytest.mark.parametrize("key", ["..", "../..", "../../victim", "/some/dir", "VICTIM_PATH", "models/tiny-llama-v1",
                                 ".", "~"])
def test_delete_never_touches_paths(cache, tmp_path, capsys, key, one_error_line):
    """Item 1: a path-like KEY is one error line (exit 2); nothing inside or outside the cache is deleted."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    key = str(victim) if key == "VICTIM_PATH" else key
    before = _keys(cache)
    assert main(["cache", "delete", key, "--cache-dir", str(cache.directory)]) == 2
    one_error_line()
    assert (victim / "precious.txt").read_text() == "keep me"
    assert _keys(cache) == before and "tiny-llama-v1" in cache.converted_models()


def test_delete_by_key_prefix_and_model_name(cache, capsys, one_error_line):
    d = ["--cache-dir", str(cache.directory)]
    assert main(["cache", "delete", "run", *d]) == 2  # prefix shorter than 4 characters
    assert "at least 4 characters" in one_error_line()
    assert main(["cache", "delete", "run0", *d]) == 2  # ambiguous
    assert "matches 2 entries" in one_error_line()
    assert main(["cache", "delete", "run0002", *d]) == 0
    assert main(["cache", "delete", "a1b2", *d]) == 0
    assert main(["cache", "delete", "tiny-llama-v1", *d]) == 0
    assert "deleted converted model tiny-llama-v1" in capsys.readouterr().out
    assert _keys(cache) == ["run0001"] and cache.converted_models() == {}


def test_cache_dir_goes_before_or_after_the_action(cache, capsys):
    """Item 9: `cache list --cache-dir X` works as `cache --cache-dir X list`."""
    for argv in (["cache", "list", "--cache-dir", str(cache.directory)],
                 ["cache", "--cache-dir", str(cache.directory), "list"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert str(cache.directory) in out and "run0001" in out and "tiny-llama-v1" in out


def _damage_big_run(cache, key: str = "bigrun", sidecar: bool = True) -> None:
    """A run large enough for its own value file in the index, whose value file is then truncated."""
    cache.put_result("run", key, dict(cache.get_result("run", "run0001"), notes=[os.urandom(60_000).hex()]))
    [value_file] = list((cache.directory / "index").rglob("*.val"))
    value_file.write_bytes(value_file.read_bytes()[:50])
    if not sidecar:
        (cache.directory / "results" / "run" / f"{key}.json").unlink(missing_ok=True)  # its sidecar, if any


def test_damaged_entries_are_reported_and_the_rest_keeps_working(cache, capsys, caplog):
    """Item 3: a damaged value and a damaged layer file: list/delete still work; verify finds; repair fixes
    (the value from its sidecar copy; the layer vectors cannot be, so they are deleted)."""
    d = ["--cache-dir", str(cache.directory)]
    _damage_big_run(cache)
    layer = cache.layer_path("a1b2c3d4e5", 1)
    layer.write_bytes(layer.read_bytes()[:-4])  # truncated layer file
    assert main(["cache", "verify", *d]) == 1
    captured = capsys.readouterr()
    assert "run bigrun: damaged value" in captured.out and "(its sidecar copy is intact)" in captured.out
    assert "activations a1b2c3d4e5: layer 1 file is truncated" in captured.out
    assert captured.err.startswith("error: 2 problems") and len(captured.err.strip().splitlines()) == 1
    assert main(["cache", "list", *d]) == 0  # the damaged value: one warning line, restored
    out = capsys.readouterr().out
    assert "run0001" in out and "bigrun" in out
    assert [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()][0].count("\n") == 0
    assert main(["cache", "delete", "run0002", *d]) == 0
    assert main(["cache", "verify", "--repair", *d]) == 0
    assert "activations a1b2c3d4e5: layer 1 file is truncated or has the wrong shape -> deleted" in \
        capsys.readouterr().out
    assert main(["cache", "verify", *d]) == 0
    assert "all intact" in capsys.readouterr().out
    assert _keys(cache) == ["bigrun", "run0001"]


def test_verify_without_repair_changes_nothing(cache, capsys):
    """Issue 22 item 16: `cache verify` (no --repair) dropped a damaged value while counting entries."""
    d = ["--cache-dir", str(cache.directory)]
    _damage_big_run(cache, sidecar=False)  # no second copy: only --repair may delete it
    raw = lambda k: cache.index.run(lambda c: c.get(k))  # noqa: E731 - the row as stored, nothing healed
    cache.index.set("act/a1b2c3d4e5/meta", dict(raw("act/a1b2c3d4e5/meta"), layers="nonsense"))  # damaged too
    files = sorted(str(p) for p in cache.directory.rglob("*") if "index" not in p.parts)
    for _ in range(2):
        assert main(["cache", "verify", *d]) == 1
        assert cache.index.check("res/run/bigrun") is not None  # still there, still damaged
        assert raw("act/a1b2c3d4e5/meta")["layers"] == "nonsense"
        assert sorted(str(p) for p in cache.directory.rglob("*") if "index" not in p.parts) == files
    err = capsys.readouterr().err
    assert err.count("error: 2 problems in the cache") == 2
    assert main(["cache", "verify", "--repair", *d]) == 0
    out = capsys.readouterr().out
    assert "run bigrun: damaged value" in out and "-> restored from its sidecar" in out
    assert cache.index.check("res/run/bigrun") is None and raw("res/run/bigrun") is None  # no copy: deleted
    assert cache.activation_meta("a1b2c3d4e5")["layers"] == [0, 1] and cache.verify("a1b2c3d4e5")


def test_one_problem_is_one_problem(cache, capsys):
    """Issue 22 item 16: "1 problems"."""
    layer = cache.layer_path("a1b2c3d4e5", 1)
    layer.write_bytes(layer.read_bytes()[:-4])
    assert main(["cache", "verify", "--cache-dir", str(cache.directory)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 1 problem in the cache") and "1 problems" not in err
    assert main(["cache", "verify", "--repair", "--cache-dir", str(cache.directory)]) == 0
    out = capsys.readouterr().out
    assert "deleted 1 damaged or stray item;" in out and "2 intact entries left" in out


def _user_things(root) -> dict:
    """Files and folders a user keeps in the cache folder, which the cache did not make."""
    things = {root / "arrays" / "README": b"my notes", root / "arrays" / "mystuff" / "data.bin": b"mine",
              root / "arrays" / "mystuff" / "layer-0.npy": b"not ours either",
              root / "models" / "mymodel" / "weights.bin": b"my model", root / "results" / "notes.txt": b"mine",
              root / "results" / "run" / "notes.txt": b"mine", root / "results" / "run" / "notes.json": b"{}",
              root / "arrays" / "other" / "entry.json": b'{"mine": true}',
              root / "arrays" / "other" / "owner.json": b'{"me": 1}'}
    for path, data in things.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return things


def test_the_cache_touches_only_what_it_made(cache, capsys, one_error_line):
    """Issue 22 item 13: `delete mymodel`, `verify --repair` and `clear` removed folders the cache never made."""
    d = ["--cache-dir", str(cache.directory)]
    things = _user_things(cache.directory)
    assert main(["cache", "list", *d]) == 0
    out = capsys.readouterr().out
    assert "mymodel" not in out and "mystuff" not in out and "tiny-llama-v1" in out
    assert main(["cache", "delete", "mymodel", *d]) == 2
    assert "no cache entry" in one_error_line()
    assert main(["cache", "delete", "mystuff", *d]) == 2
    one_error_line()
    assert main(["cache", "verify", *d]) == 0  # not a problem: named in notes, left alone
    out = capsys.readouterr().out
    assert "note: entry arrays/mystuff: not made by this cache" in out and "arrays/README" in out
    assert main(["cache", "verify", "--repair", *d]) == 0
    capsys.readouterr()
    assert main(["cache", "clear", "--models", *d]) == 0
    out = capsys.readouterr().out
    assert "left alone" in out
    assert all(path.read_bytes() == data for path, data in things.items())
    assert _keys(cache) == [] and cache.converted_models() == {}
    assert not (cache.directory / "models" / "tiny-llama-v1").exists()


def test_leftovers_of_a_killed_conversion_are_listed_and_cleared(cache, capsys):
    """Issue 22 item 16: `kill -9` during conversion left a 240 MB temp file no command listed or cleared."""
    d = ["--cache-dir", str(cache.directory)]
    models = cache.directory / "models"
    dead = models / ".gguf-0123456789abcdef.tmp-999999999"  # its process is gone
    live = models / f".gguf-fedcba9876543210.tmp-{os.getpid()}"  # a conversion in progress: not touched
    old = models / "gguf-source"  # where older versions assembled the GGUF
    for folder in (dead, live, old):
        folder.mkdir(parents=True)
        (folder / "model.gguf").write_bytes(b"g" * 4096)
    assert main(["cache", "list", *d]) == 0
    out = capsys.readouterr().out
    assert "models/.gguf-0123456789abcdef.tmp-999999999 (4.0 KB) was left by an interrupted model conversion" in out
    assert "models/gguf-source" in out and "fedcba" not in out and "gguf-source  " not in out
    assert main(["cache", "verify", *d]) == 0
    assert "interrupted model conversion" in capsys.readouterr().out
    assert main(["cache", "clear", *d]) == 0
    assert not dead.exists() and not old.exists() and live.exists()
    assert "tiny-llama-v1" in cache.converted_models()  # clear without --models keeps converted models


def test_damaged_index_database_is_one_warning_not_a_traceback(cache, capsys, caplog):
    """Item 3: a damaged cache.db: every command keeps working (the index is moved aside, started anew)."""
    (cache.directory / "index" / "cache.db").write_bytes(b"\x00garbage" * 512)
    d = ["--cache-dir", str(cache.directory)]
    assert main(["cache", "list", *d]) == 0
    out = capsys.readouterr().out
    assert "tiny-llama-v1" in out and "index.damaged-" in out  # the moved-aside index is named
    assert any("moved it to index.damaged-" in r.getMessage() for r in caplog.records)
    assert main(["cache", "verify", "--repair", *d]) == 0
    assert main(["cache", "clear", *d]) == 0
    assert Store(cache.directory).leftovers() == []


def test_import_command_validates_and_reports_each_file(cache, tmp_path, make_run, capsys):
    """Item 2: `cache import FILE...`: good files imported, crafted ones one line each, exit 2 if any failed."""
    good = tmp_path / "good.json"
    good.write_text(make_run(key="gpu-run").to_json())
    clash = tmp_path / "clash.json"
    clash.write_text(make_run(key="run0001", shift=0.2).to_json())
    nan = tmp_path / "nan.json"
    nan.write_text(make_run(key="x").to_json().replace('"peak_accuracy": 0.', '"peak_accuracy": NaN, "_": 0.'))
    d = ["--cache-dir", str(cache.directory)]
    assert main(["cache", "import", str(good), str(clash), str(nan), str(tmp_path / "missing.json"), *d]) == 2
    captured = capsys.readouterr()
    assert "imported good.json" in captured.out and "(key import-gpu-run)" in captured.out
    err = captured.err.strip().splitlines()
    assert err[0].startswith("clash.json: clash:") and err[1].startswith("nan.json") and "NaN" in err[1]
    assert "no such file" in err[2] and err[3].startswith("error: 3 of 4 files were not imported")
    assert json.dumps(cache.get_result("run", "run0001")) == json.dumps(make_run(key="run0001").to_dict())
    assert main(["cache", "import", str(good), *d]) == 0
    assert "already imported good.json" in capsys.readouterr().out


def _nested(depth: int) -> dict:
    inner: dict = {}
    for _ in range(depth):
        inner = {"a": inner}
    return inner


@pytest.mark.parametrize("field", ["timing", "run_spec", "depth.definition", "layers.0.extra"])
def test_a_deeply_nested_import_is_one_line_not_a_recursion_error(cache, tmp_path, make_run, capsys, field):
    """Item 14: a 600-deep nested value passed validation, then `cache import` died with RecursionError."""
    doc = make_run(key="deep").to_dict()
    parent, _, name = field.rpartition(".")
    target = doc
    for part in parent.split(".") if parent else []:
        target = target[int(part)] if part.isdigit() else target[part]
    target[name] = {"x": _nested(600)}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    assert main(["cache", "import", str(path), "--cache-dir", str(cache.directory)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("deep.json:") and "nested" in err[0] and len(err) == 2, err
    assert cache.get_result("import", "import-deep") is None
