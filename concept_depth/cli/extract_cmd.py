"""``python -m concept_depth extract``: layer vectors of one model on one dataset -> .npz.

The .npz holds ``features`` float32 [N, layers, hidden], ``layers`` (layer numbers:
residual 0..L with 0 = embeddings, post_attention_layernorm 1..L), ``labels`` [N] and
``prompts`` [N] (the exact strings fed to the model). Cached: a rerun reads the cache.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..core.options import RUN_OPTIONS, values_of
from ..core.specs import ExtractionSpec
from ..extraction import extract_activations
from ..storage.store import Store
from .options import add_option_groups, check_output_path, check_run_options
from .progress_bar import progress_bar


def register(sub) -> None:
    p = sub.add_parser("extract", help="extract per-layer vectors of a dataset into an .npz file",
                       description=__doc__.split("\n\n")[0])
    add_option_groups(p, ExtractionSpec.OPTIONS, run=RUN_OPTIONS.without("jobs"))
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_extract)


def _extract(args: argparse.Namespace) -> int:

    # options and the output path are checked before any model is loaded
    spec = ExtractionSpec.from_options(**values_of(args, ExtractionSpec.OPTIONS))
    check_run_options(args)
    out = check_output_path(args.out, "--out", suffixes=(".npz",))
    store = Store(args.cache_dir)
    with progress_bar(args) as bar:
        acts = extract_activations(spec, store=store, batch_size=args.batch_size, device=args.device, progress=bar)
    features = acts.all()
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, features=features.astype(np.float32), layers=np.asarray(acts.layers, dtype=np.int64),
             labels=np.asarray(acts.labels, dtype=np.int64), prompts=np.asarray(acts.prompts, dtype=str))
    t = acts.timing
    how = "from cache" if acts.cached else (f"load {t.get('load_s', 0):.1f}s, extract {t.get('extract_s', 0):.1f}s, "
                                            f"{t.get('prompts_per_s', 0):.1f} prompts/s")
    print(f"{acts.model_label}: {features.shape[0]} prompts x {features.shape[1]} layers x {features.shape[2]} "
          f"({spec.hook}, {spec.pooling} token{'s' if spec.pooling == 'mean' else ''}) -> {out} [{how}; key {acts.key}]")
    n_cut = acts.spec.get("n_truncated") or 0
    if n_cut:
        print(f"note: {n_cut} texts were truncated to fit --max-tokens {spec.max_tokens}", file=sys.stderr)
    return 0
