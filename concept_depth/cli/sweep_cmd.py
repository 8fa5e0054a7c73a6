"""``python -m concept_depth sweep``: the cross product of models, bit widths, datasets and noise.

Each combination is one ``run`` (cached runs come back at once). Writes one JSON per
run into ``--out-dir`` plus ``sweep.csv``, a tidy table with one row per run per layer.
A failing combination is reported at the end and does not stop the others.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import re
import sys
from pathlib import Path

from ..errors import BadInputError, Cancelled, ConceptDepthError
from ..specs import RunSpec
from .options import (add_dataset_options, add_extraction_options, add_model_options, check_output_path,
                      check_run_options, extraction_spec, split_list)
from .progress_bar import TqdmProgress
from .run_cmd import add_probe_options, depth_spec, probe_spec

CSV_COLUMNS = [
    "run_key", "model", "model_label", "dataset", "category", "quant", "noise", "noise_strength", "noise_seed",
    "hook", "pooling", "limit", "protocol", "probe", "n_samples", "n_layers", "layer", "relative_layer",
    "accuracy", "accuracy_std", "f1", "f1_std", "auc", "auc_std", "control_accuracy", "selectivity",
    "chance", "acquired", "peak_layer", "peak_accuracy", "jumping_point", "converging_point",
]


def tidy_rows(result) -> list[dict]:
    """One dict per layer of ``result`` with the run's identifying fields (CSV_COLUMNS)."""
    s, d = result.spec, result.depth
    base = {k: s.get(k) for k in ("model", "model_label", "dataset", "category", "quant", "noise", "noise_strength",
                                  "noise_seed", "hook", "pooling", "limit", "protocol", "probe")}
    base.update(run_key=result.key, n_samples=result.n_samples, n_layers=result.n_layers, chance=d.chance,
                acquired=d.acquired, peak_layer=d.peak_layer, peak_accuracy=d.peak_accuracy,
                jumping_point=d.jumping_point, converging_point=d.converging_point)
    rows = []
    for ls in result.layers:
        rows.append(dict(base, layer=ls.layer, relative_layer=ls.layer / result.n_layers if result.n_layers else None,
                         accuracy=ls.accuracy, accuracy_std=ls.accuracy_std, f1=ls.f1, f1_std=ls.f1_std, auc=ls.auc,
                         auc_std=ls.auc_std, control_accuracy=ls.control_accuracy, selectivity=ls.selectivity))
    return rows


def _slug(*parts) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(str(p) for p in parts)).strip("-")


class _OneModelLoader:
    """Keeps the last loaded model so consecutive datasets reuse it (one model in memory at a time)."""

    def __init__(self, device: str | None, cache_dir) -> None:
        self.device = device
        self.cache_dir = cache_dir
        self.spec = None
        self.model = None

    def __call__(self, spec):
        from ..models import load_model

        if self.spec != spec:
            self.model = None  # free the previous one first
            self.model = load_model(spec, device=self.device, cache_dir=self.cache_dir)
            self.spec = spec
        return self.model


def _sweep(args: argparse.Namespace) -> int:
    from ..pipeline import run_probe
    from ..store import Store

    models, quants, noises = split_list(args.model), split_list(args.quant), split_list(args.noise)
    datasets = [None] if args.dataset_file else split_list(args.dataset or "")
    if not datasets:
        raise BadInputError("give --dataset NAME[,NAME...] or --dataset-file PATH")
    if not (models and quants and noises):
        raise BadInputError("--model, --quant and --noise need at least one value each")
    # Build every spec first: a typo in any value fails before hours of work.
    combos = []
    for m, q, d, n in itertools.product(models, quants, datasets, noises):
        combos.append(((m, q, d or Path(args.dataset_file).name, n),
                       RunSpec(extraction=extraction_spec(args, model=m, quant=q, dataset=d, noise=n),
                               probe=probe_spec(args), depth=depth_spec(args))))
    check_run_options(args)
    out_dir = check_output_path(args.out_dir, "--out-dir", folder=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(args.cache_dir)
    loader = _OneModelLoader(args.device, store.directory)
    rows, failures = [], []
    total = len(combos)
    for i, (names, spec) in enumerate(combos, 1):
        label = " ".join(str(x) for x in names)
        bar = TqdmProgress(prefix=f"[{i}/{total}] ", disable=args.quiet or None)
        try:
            result = run_probe(spec, store=store, model_loader=loader, batch_size=args.batch_size,
                               device=args.device, progress=bar, n_jobs=args.jobs)
        except (Cancelled, KeyboardInterrupt):
            raise
        except ConceptDepthError as exc:
            failures.append((label, exc.exit_code, str(exc)))
            print(f"[{i}/{total}] {label}: FAILED ({exc})", file=sys.stderr)
            continue
        except Exception as exc:  # keep going; the summary names it
            failures.append((label, 1, f"{type(exc).__name__}: {exc}"))
            print(f"[{i}/{total}] {label}: FAILED ({type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        finally:
            bar.close()
        path = out_dir / f"{_slug(*names)}_{result.key[:8]}.json"
        path.write_text(result.to_json(), encoding="utf-8")
        rows.extend(tidy_rows(result))
        d = result.depth
        state = "cached" if result.timing.get("cached") else f"probe {result.timing.get('probe_s', 0):.1f}s"
        depth_txt = (f"peak {d.peak_layer} ({d.peak_accuracy:.3f}), jump {d.jumping_point}, converge {d.converging_point}"
                     if d.acquired else f"not acquired (peak acc {d.peak_accuracy:.3f})")
        print(f"[{i}/{total}] {label}: {depth_txt}; {state} -> {path}")
    csv_path = out_dir / "sweep.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {csv_path} ({len(rows)} rows, {total - len(failures)} of {total} runs)")
    if failures:
        for label, _, msg in failures:
            print(f"failed: {label}: {msg}", file=sys.stderr)
        code = failures[0][1]
        sys.stderr.write(f"error: {len(failures)} of {total} runs failed (listed above)\n")
        return code if code in (2, 3) else 1
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run the cross product of models, bit widths, datasets and noise",
                              description="Comma-separated --model, --quant, --dataset and --noise; cached runs are "
                                          "skipped; one JSON per run plus a tidy CSV (one row per run per layer).")
    add_model_options(p, multi=True)
    add_dataset_options(p, multi=True)
    add_extraction_options(p)
    add_probe_options(p)
    p.add_argument("--out-dir", default="sweep_results", help="directory for the JSON files and sweep.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_sweep)
