"""Memory and time of assembling an extraction from chunks (``Store.finish_layers``), by N.

Writes synthetic chunks of ``--chunk`` rows [n, K, D] float32 into a temporary store, then
assembles the per-layer files in a fresh child process and prints its peak memory (RSS)
next to the size of the vectors. Bounded memory means the peak does not grow with N.

    python bench/bench_store.py --n 20000 100000 --layers 19 --hidden 640
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = """
import json, resource, sys, time
from concept_depth.store import Store
store = Store(sys.argv[1])
n, k = int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
meta = store.finish_layers("bench", list(range(k)), {"n_samples": n})
seconds = time.perf_counter() - t
ok = store.verify("bench")
print(json.dumps({"seconds": seconds, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "verified": ok, "bytes": meta["size_bytes"]}))
"""


def run(n: int, k: int, d: int, chunk: int) -> dict:
    from concept_depth.storage.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "cache")
        rng = np.random.default_rng(0)
        block = rng.normal(size=(chunk, k, d)).astype(np.float32)
        t = time.perf_counter()
        for start in range(0, n, chunk):
            rows = np.arange(start, min(n, start + chunk))
            store.write_chunk("bench", rows, block[: len(rows)])
        write_s = time.perf_counter() - t
        out = subprocess.run([sys.executable, "-c", CHILD, str(store.directory), str(n), str(k)], check=True, cwd=REPO,
                             capture_output=True, text=True)
        result = json.loads(out.stdout)
        result["write_chunks_s"] = write_s
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--layers", type=int, default=19)
    ap.add_argument("--hidden", type=int, default=640)
    ap.add_argument("--chunk", type=int, default=256, help="rows per chunk (one extraction batch)")
    args = ap.parse_args()
    print(f"{'N':>9} {'vectors':>10} {'peak RSS':>9} {'assemble':>9} {'write chunks':>12}  verified")
    for n in args.n:
        r = run(n, args.layers, args.hidden, args.chunk)
        print(f"{n:>9} {r['bytes'] / 2**30:>8.2f} GB {r['peak_rss'] / 2**20:>6.0f} MB {r['seconds']:>8.1f}s "
              f"{r['write_chunks_s']:>11.1f}s  {r['verified']}")


if __name__ == "__main__":
    main()
