"""Benchmark: the quick start from an empty cache, end to end and per stage.

Runs the README's command-line twin of the app's first run,

    python -m concept_depth run --model embedded --dataset builtin-coinflip --limit 200

into a fresh temporary cache (so the embedded Gemma 3 270M is assembled, converted and loaded
first), and prints the wall time of the whole command and of each stage it reports: Python
start-up and imports (until the first progress line), each model-conversion step
("convert: assembling the GGUF", "convert: converting the tokenizer", "convert: dequantising
weights", "convert: saving"), loading the converted copy, extraction, probing. Then it runs
the same command again (everything cached) and prints that time too.

The command runs in a pseudo-terminal so its progress bars (stage text from ``ProgressEvent``)
are drawn exactly as a user sees them; the stage times are read from when each stage's text
first appears. The machine load (``os.getloadavg``) before and after is printed with the
figures: on a shared machine they are only comparable at similar load. Target: under 30 s
on a quiet 2-core machine (81 s, then 42 s, then 36.6 s, 32.7 s, now 32.2 s: 16-17 s of it is float32 extraction).

    python bench/bench_quickstart.py
    python bench/bench_quickstart.py --model smollm2 --limit 200
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# a tqdm line is "{description}: {percent}%|{bar}| {n}/{total} ..."; the description is "stage: detail"
_BAR = re.compile(r"^(.*?):\s+\d+%\|")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _stage_name(line: str) -> str | None:
    """``convert: dequantising weights`` from a progress line (tensor counts dropped), else None."""
    m = _BAR.match(_ANSI.sub("", line).strip())
    if not m:
        return None
    return re.sub(r":\s*\d+(?:/\d+)? tensors.*$", "", m.group(1)).strip() or None


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, list[tuple[str, float]], int, str]:
    """Run ``cmd`` in a pseudo-terminal; return (seconds, [(stage, start_s)], exit code, output tail)."""
    master, slave = pty.openpty()
    # a real terminal size: tqdm sizes its bars from it (a 0-column pty draws nothing)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    stages: list[tuple[str, float]] = []
    buf, out = "", []
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                chunk = ""
            if not chunk and proc.poll() is not None:
                break
            out.append(chunk)
            buf += chunk
            parts = re.split(r"[\r\n]", buf)
            buf = parts[-1]  # tqdm starts each redraw with \r: the last part is complete too once drawn
            for part in parts:
                name = _stage_name(part)
                if name and (not stages or stages[-1][0] != name):
                    stages.append((name, time.perf_counter() - t0))
        elif proc.poll() is not None:
            break
    proc.wait()
    os.close(master)
    return time.perf_counter() - t0, stages, proc.returncode, "".join(out)


def report(title: str, total: float, stages: list[tuple[str, float]]) -> None:
    print(f"\n{title}: {total:.1f} s end to end")
    if not stages:
        return
    print(f"  {'start-up and imports':<44} {stages[0][1]:6.1f} s")
    ends = [s for _, s in stages[1:]] + [total]
    for (name, start), end in zip(stages, ends):
        print(f"  {name:<44} {end - start:6.1f} s")
    convert = sum(e - s for (n, s), e in zip(stages, ends) if n.startswith("convert"))
    if convert:
        print(f"  {'(model conversion, all steps)':<44} {convert:6.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--dataset", default="builtin-coinflip")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the temporary cache (prints its path)")
    args = ap.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="cd-quickstart-"))
    env = {**os.environ, "CONCEPT_DEPTH_CACHE": str(cache), "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
    env.pop("CONCEPT_DEPTH_MODEL_CACHE", None)
    cmd = [sys.executable, "-m", "concept_depth", "run", "--model", args.model, "--dataset", args.dataset,
           "--limit", str(args.limit), "--device", "cpu"]
    print("command:", " ".join(cmd[1:]), f"(CONCEPT_DEPTH_CACHE={cache}, empty)")
    print(f"machine: {os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f} (1 min)")
    try:
        total, stages, rc, tail = run(cmd, env)
        load_after = os.getloadavg()[0]
        if rc != 0:
            print(tail[-3000:])
            print(f"error: the command exited with {rc}")
            return rc
        report("first run (empty cache)", total, stages)
        again, stages2, rc2, _ = run(cmd, env)
        report("second run (all cached)", again, stages2)
        print(f"\nload average after: {load_after:.2f} (1 min); target: first run under 30 s on a quiet 2-core machine")
    finally:
        if args.keep:
            print(f"cache kept at {cache}")
        else:
            shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
