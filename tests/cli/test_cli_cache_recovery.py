"""Item 4 and item 2 end to end on the CLI: a cache folder removed mid-run; an import never a cached result."""

from __future__ import annotations

import json
import shutil

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
