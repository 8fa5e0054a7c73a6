"""Benchmark: a cached ``python -m concept_depth run`` end to end (process start to exit).

The first call computes the run into a fresh cache (or reuses --cache-dir); then the same
command is timed ``--repeat`` times as a user would type it. It also reports which heavy
libraries the cached rerun imported: the answer is already in the cache, so it needs none of
torch, transformers, scikit-learn or scipy. Today it loads no torch or transformers, but
scikit-learn and scipy come with the package's import (its probes import them at module level),
about 0.6-0.9 s of the 1.6 s measured.

    python bench/bench_cached_rerun.py                      # embedded Gemma 3 270M, builtin-coinflip, 200 samples
    python bench/bench_cached_rerun.py --dataset cities --limit 200 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sklearn", "scipy", "bitsandbytes", "accelerate")


def command(args, cache: str) -> list[str]:
    return [sys.executable, "-m", "concept_depth", "run", "--model", args.model, "--dataset", args.dataset,
            "--limit", str(args.limit), "--cache-dir", cache, "--quiet"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="embedded")
    p.add_argument("--dataset", default="builtin-coinflip")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--cache-dir", default=None, help="reuse this cache (default: a fresh one sharing converted models)")
    args = p.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or str(Path(tmp) / "cache")
        models = REPO / "cache" / "models"
        if not args.cache_dir and models.is_dir():  # share converted models: this measures the cached run only
            Path(cache).mkdir(parents=True)
            (Path(cache) / "models").symlink_to(models, target_is_directory=True)
        cmd = command(args, cache)
        t0 = time.perf_counter()
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
        print(f"first run (computes): {time.perf_counter() - t0:.1f} s, exit {first.returncode}")
        if first.returncode:
            print(first.stderr[-2000:])
            return 1
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            again = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
            times.append(time.perf_counter() - t0)
            assert again.returncode == 0 and "(cached result)" in again.stdout, again.stdout[-500:] + again.stderr
        imports = subprocess.run([sys.executable, "-X", "importtime"] + cmd[1:], env=env, capture_output=True,
                                 text=True, cwd=REPO).stderr
        # -X importtime writes "import time: self | cumulative | <indent>module"; nested imports are indented
        modules = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
        loaded = sorted(name for name in HEAVY if name in modules)
    print(f"cached rerun, {args.repeat} times: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s (target: under 2 s)")
    print(f"heavy libraries imported by the cached rerun: {', '.join(loaded) or 'none'}")
    print(f"load average during the measurement: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
