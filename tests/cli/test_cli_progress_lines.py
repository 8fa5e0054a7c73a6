"""Issue 22 item 22: a command whose stderr is not a terminal (``2>&1 | tee log``, a batch job, nohup)
printed nothing for minutes, since tqdm draws no bar there. It now prints a plain line per stage when the
stage starts, then one every ~15 s, and one when a long stage ends."""

from __future__ import annotations

import io

import pytest

from concept_depth.cli.main import main
from concept_depth.core.progress import ProgressEvent
from concept_depth.core.progress_bars import RunsBar, TqdmProgress

TINY = ["--model", "tiny:llama", "--dataset", "builtin-coinflip", "--limit", "40", "--jobs", "1"]


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_into_a_pipe_prints_progress_lines(tmp_path, capsys):
    assert main(["run", *TINY, "--cache-dir", str(tmp_path / "c")]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert any(line.startswith("extract") and "/40 prompts" in line for line in lines), captured.err
    assert any(line.startswith("probe") for line in lines), captured.err
    assert "\r" not in captured.err and "\x1b" not in captured.err  # no bar drawing in a log file
    assert "layer" in captured.out  # the table still goes to stdout, apart from the progress


def test_quiet_prints_no_progress_into_a_pipe(tmp_path, capsys):
    assert main(["run", *TINY, "--cache-dir", str(tmp_path / "c"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_plain_lines_per_stage_start_every_interval_and_at_a_long_stages_end():
    out, clock = io.StringIO(), Clock()
    bar = TqdmProgress(prefix="[1/2] ", stream=out, clock=clock, interval_s=15)
    bar(ProgressEvent("load", 0, 1, unit="model", detail="checking memory"))
    bar(ProgressEvent("load", 0, 1, unit="model", detail="loading the weights"))  # a new step: said at once
    bar(ProgressEvent("load", 1, 1, unit="model"))  # quick: no end line
    for done in range(0, 401, 10):  # 40 s of extraction, an event every second
        bar(ProgressEvent("extract", done, 400, rate=10.0 if done else None, eta_s=(400 - done) / 10 if done else None))
        clock.t += 1
    bar(ProgressEvent("probe", 0, 5, unit="layers"))
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/2] load: checking memory · 0/1 model"
    assert lines[1] == "[1/2] load: loading the weights · 0/1 model"
    extract = [line for line in lines if "extract" in line]
    assert extract[0] == "[1/2] extract · 0/400 prompts (0%)"
    assert extract[1] == "[1/2] extract · 150/400 prompts (38%) · 10.0 prompts/s · ETA 00:25"  # 15 s later
    assert extract[2].startswith("[1/2] extract · 300/400 prompts (75%)")
    assert extract[-1] == "[1/2] extract · 400/400 prompts (100%) · done in 00:40"
    assert len(extract) == 4
    assert lines[-1] == "[1/2] probe · 0/5 layers (0%)"


def test_a_terminal_still_gets_the_tqdm_bar():
    out = Terminal()
    bar = TqdmProgress(stream=out)
    bar(ProgressEvent("extract", 5, 10))
    bar.close()
    assert "\r" in out.getvalue() and "extract" in out.getvalue()


@pytest.mark.parametrize("disable", [True])
def test_disabled_prints_nothing(disable):
    out = io.StringIO()
    bar = TqdmProgress(stream=out, disable=disable)
    bar(ProgressEvent("extract", 5, 10))
    runs = RunsBar(disable=disable, stream=out)
    runs(ProgressEvent("sweep", 1, 3, unit="runs"))
    assert out.getvalue() == ""


def test_the_runs_bar_prints_lines_into_a_pipe():
    out, clock = io.StringIO(), Clock()
    runs = RunsBar(stream=out, clock=clock, interval_s=15)
    runs(ProgressEvent("sweep", 0, 3, unit="runs"))
    clock.t += 5
    runs(ProgressEvent("sweep", 1, 3, unit="runs", eta_s=20))  # too soon for another line
    clock.t += 20
    runs(ProgressEvent("sweep", 2, 3, unit="runs", eta_s=10))
    runs(ProgressEvent("sweep", 3, 3, unit="runs"))
    runs.close()
    assert out.getvalue().splitlines() == ["runs · 0/3 runs (0%)", "runs · 2/3 runs (67%) · ETA 00:10",
                                           "runs · 3/3 runs (100%) · done in 00:25"]
