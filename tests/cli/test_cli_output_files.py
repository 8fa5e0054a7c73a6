"""Issue 22 item 10: output files are written atomically (temp file in the same folder, fsync, rename).

A full disk is simulated for one folder: files opened for writing there take a few bytes,
then raise ENOSPC, as a real full disk does. A good file already there must stay whole, no
0-byte or cut-off file and no temporary file may be left, and the command says so in one line.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
from pathlib import Path

import plotly.graph_objects as go
import pytest

from concept_depth.cli import export_cmd
from concept_depth.cli.main import main
from concept_depth.core.errors import UnavailableError
from concept_depth.core.files import write_atomic
from concept_depth.export import families
from concept_depth.export import figures as figure_files

TINY = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "40", "--quiet", "--jobs", "1",
        "--batch-size", "8"]


class _FullDiskFile:
    """A file on a disk with ``room`` bytes left: writes past it raise ENOSPC (what was before lands)."""

    def __init__(self, fh, room: int) -> None:
        self._fh = fh
        self._room = room

    def write(self, data):
        part = data[: max(self._room, 0)]
        if part:
            self._fh.write(part)
        self._room -= len(part)
        if len(part) < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """``tmp_path / "full"``: a folder on a disk that takes 16 more bytes per file opened for writing."""
    folder = tmp_path / "full"
    folder.mkdir()
    real_open = builtins.open

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, (str, os.PathLike)) and Path(os.fspath(file)).resolve().parent == folder.resolve()
        if inside and any(c in mode for c in "wax+"):
            return _FullDiskFile(fh, 16)
        return fh

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)  # what Path.write_text / write_bytes call
    return folder


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path, full_disk):
    good = tmp_path / "a.json"
    write_atomic(good, '{"ok": 1}')
    assert good.read_text() == '{"ok": 1}' and _left(tmp_path) == ["a.json", "full"]
    write_atomic(good, b'{"ok": 2}')
    assert json.loads(good.read_text()) == {"ok": 2}
    kept = full_disk / "kept.json"
    kept.write_bytes(b"{}")  # 2 bytes: fits
    with pytest.raises(UnavailableError) as info:
        write_atomic(kept, "x" * 1000)
    assert "No space left" in str(info.value) and len(str(info.value).splitlines()) == 1
    assert kept.read_bytes() == b"{}" and _left(full_disk) == ["kept.json"]
    with pytest.raises(UnavailableError):
        write_atomic(full_disk / "new.json", "x" * 1000)
    assert _left(full_disk) == ["kept.json"]  # no 0-byte or cut-off file, no temporary file


def test_run_out_on_a_full_disk_keeps_the_good_json(tmp_path, full_disk, capsys, one_error_line):
    """`run --out` on a full disk: exit 3 with one line; the good JSON already there is unchanged."""
    out = full_disk / "r.json"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    good = tmp_path / "good.json"
    assert main(["run", *TINY, *cache, "--out", str(good)]) == 0
    out.write_bytes(b"")  # opened for writing here; the good content is copied in without the fake
    os.replace(good, out)
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["run", *TINY, *cache, "--out", str(out)]) == 3
    assert "No space left" in one_error_line()
    assert out.read_bytes() == before and json.loads(before)["schema"].startswith("concept-depth/result")
    assert _left(full_disk) == ["r.json"]


def test_export_figure_and_bundle_leave_no_empty_file(make_run, tmp_path, full_disk, monkeypatch, capsys,
                                                     one_error_line):
    """`export --figure` and `--bundle` on a full disk: one line, exit 3, no 0-byte file."""
    monkeypatch.setattr(export_cmd, "figure_to_bytes", lambda fig, fmt, **kw: b"<svg>" + b" " * 4000 + b"</svg>")
    result = tmp_path / "base.json"
    result.write_text(make_run(key="base").to_json())
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
    assert main(["export", str(result), "--figure", str(full_disk / "curves.svg")]) == 3
    assert "No space left" in one_error_line()
    assert main(["export", str(result), "--bundle", str(full_disk / "b.zip"), "--no-figures"]) == 3
    assert "No space left" in one_error_line()
    assert _left(full_disk) == []
    assert main(["export", str(result), "--bundle", str(tmp_path / "b.zip"), "--no-figures"]) == 0
    assert (tmp_path / "b.zip").stat().st_size > 100


def test_analysis_figure_and_family_files_are_atomic(full_disk, monkeypatch):
    """The `transfer`/`steer` figure writer and the families table and figures."""
    monkeypatch.setattr(figure_files, "figure_to_bytes", lambda fig, fmt, **kw: b"x" * 5000)
    with pytest.raises(UnavailableError):
        figure_files.write_figure(go.Figure(), full_disk / "t.png")

    class Comparison:
        runs: list = []

        def table(self):
            return [{column: "value" for column in families.TABLE_COLUMNS}] * 20

    with pytest.raises(UnavailableError):
        families.write_outputs(Comparison(), out=str(full_disk / "table.csv"))
    assert _left(full_disk) == []
