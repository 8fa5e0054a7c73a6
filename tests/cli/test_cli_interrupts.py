"""Issue 22 item 16: SIGTERM (kill, a scheduler's time limit, ``docker stop``) ends a command the way Ctrl-C
does: one "error: interrupted" line, exit 143 (130 for Ctrl-C), the work already finished kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from concept_depth.cli.main import main

REPO = Path(__file__).resolve().parents[2]
LINE = "error: interrupted (finished work is cached; run again to resume)"

#: Runs the CLI with its one analysis runner replaced by a long wait, so the signal lands mid-work.
DRIVER = """
import sys, time
import concept_depth.cli.analysis_cmd as analysis_cmd
def working(*args, **kwargs):
    print("working", flush=True)
    time.sleep(120)
analysis_cmd.run_analysis = working
from concept_depth.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _default_signals() -> None:
    """In the child: Ctrl-C and SIGTERM at their defaults. A test run started in the background by a
    non-interactive shell (``cmd &``, ``nohup``) inherits SIGINT ignored, and Python keeps an ignored
    SIGINT ignored (no KeyboardInterrupt), as a user's ``nohup`` run should."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_mid_run_prints_the_interrupted_line(tmp_path, sig, code):
    env = dict(os.environ, PYTHONPATH=str(REPO), CONCEPT_DEPTH_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "run", "--model", "tiny:llama", "--dataset",
                             "builtin-coinflip", "--limit", "40", "--quiet"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_signals)
    try:
        assert proc.stdout.readline().strip() == "working", proc.stderr.read()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, (proc.returncode, err)
    assert err.strip().splitlines() == [LINE], err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_sigterm_handler_is_only_there_while_a_command_runs(monkeypatch, capsys):
    from concept_depth.cli import datasets_cmd

    seen = []
    monkeypatch.setattr(datasets_cmd, "_run", lambda a: seen.append(signal.getsignal(signal.SIGTERM)) or 0)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["datasets"]) == 0
    assert seen and seen[0] is not before  # ours while the command ran
    assert signal.getsignal(signal.SIGTERM) is before  # given back afterwards
    # from a thread (a notebook's worker, a test runner) signals cannot be handled: main still runs
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(["datasets"])))
    thread.start()
    thread.join(60)
    assert codes == [0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    """``python -m concept_depth models | head -3``: head exits, the next write meets a closed pipe."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "concept_depth", "models"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # gone before anything is written
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 141, (proc.returncode, err)  # 128 + SIGPIPE, as a shell reports it
