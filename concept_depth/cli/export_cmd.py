"""``python -m concept_depth export``: figures (PNG/SVG/PDF) and bundles from result files.

Examples::

    python -m concept_depth export result.json --figure curves.svg
    python -m concept_depth export a.json b.json --figure depth.pdf --kind heatmap --value jumping_point
    python -m concept_depth export a.json b.json --figure diff.png --kind difference --dpi 600
    python -m concept_depth export RUN_KEY --figure pca.svg --kind pca --layer 6     # needs the cache
    python -m concept_depth export RUN_KEY --figure umap.svg --kind umap --layer 6   # UMAP, seeded (slower)
    python -m concept_depth export a.json b.json --bundle results.zip

RESULT is a result JSON file or the key of a run in the cache. ``run --figure FILE``
calls :func:`write_figure` with the fresh result.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import figures as F
from ..analyses.probe import layer_predictions, load_run
from ..core.errors import BadInputError, UnavailableError
from ..core.files import write_atomic
from ..datasets import get_dataset_info
from ..export.bundle import make_bundle
from ..export.figures import figure_to_bytes, format_from_path
from ..extraction import activations_from_key
from ..figures import fit_umap, pca_grid, pca_scatter, project_layers
from ..results.run import RunResult
from ..storage.store import Store
from ..workflows.baselines import pair_with_baselines
from ..workflows.comparison import compare_pair
from .options import check_output_path, check_range

KINDS = ("curves", "heatmap", "difference", "pca", "umap", "grid")


def build_figure(runs: Sequence[RunResult], kind: str = "curves", *, metric: str = "accuracy", x: str = "layer",
                 value: str = "jumping_point", layer: int | None = None, layers: Sequence[int] | None = None,
                 shared_basis: bool = False, store=None, umap_seed: int = 0):
    """The figure ``kind`` of ``runs`` (pca/umap/grid read the first run's layer vectors from ``store``)."""

    if not runs:
        raise BadInputError("no results given")
    if kind == "curves":
        return F.layer_curves(runs, metrics=("accuracy", "f1", "auc") if len(runs) == 1 else (metric,), x=x)
    if kind == "heatmap":
        return F.depth_heatmap(runs, value=value, relative=x == "relative" or value == "peak_accuracy")
    if kind == "difference":
        pairs = pair_with_baselines(runs, runs)
        if not pairs:
            raise BadInputError("difference needs a float32 noise-free result of the same model and dataset "
                                "among the given results, plus at least one other setting")

        # paired bands and beyond-noise markers where both runs stored their per-sample outcomes
        paired = [compare_pair(store, base, run, shifts=False, fidelity=False).paired for run, base in pairs]
        return F.difference_curves(pairs, metric=metric, x=x, paired=paired)
    if kind in ("pca", "umap", "grid"):
        return _pca_figure(runs[0], kind, layer, layers, shared_basis, store, umap_seed)
    raise BadInputError(f"unknown figure kind {kind!r}; choose one of {', '.join(KINDS)}")


def _pca_figure(run: RunResult, kind: str, layer, layers, shared: bool, store, umap_seed: int = 0):


    store = store or Store()
    key = run.extra.get("activation_key")
    if not key or not store.has_activations(key):
        raise UnavailableError("this result's layer vectors are not in the cache; run it here first (PCA needs them)")
    acts = activations_from_key(store, key)
    all_layers = list(acts.layers)
    if kind in ("pca", "umap"):
        layer = layer if layer is not None else (run.depth.jumping_point if run.depth.jumping_point is not None
                                                 else all_layers[len(all_layers) // 2])
        if layer not in all_layers:
            raise BadInputError(f"layer {layer} not in this run (layers {all_layers[0]}..{all_layers[-1]})")
        if kind == "umap":  # one embedding of this layer (UMAP has no shared basis)
            projs = {layer: fit_umap(acts.layer(layer), acts.labels, seed=umap_seed)}
        else:
            basis_layers = all_layers if shared else [layer]
            projs = project_layers({l: acts.layer(l) for l in basis_layers}, acts.labels, shared=shared)
        pred = layer_predictions(store, run, layer)
        wrong = np.asarray(pred.is_eval) & ~np.asarray(pred.correct, dtype=bool)
        return pca_scatter(projs[layer], acts.labels, prompts=acts.prompts, proba=pred.proba, wrong=wrong,
                           layer=layer, title=f"{run.label}: layer {layer}", label_names=_label_names(run))
    chosen = list(layers) if layers else sorted({all_layers[int(round(i))] for i in np.linspace(0, len(all_layers) - 1, 8)})
    bad = [l for l in chosen if l not in all_layers]
    if bad:
        raise BadInputError(f"layers {bad} not in this run")
    projs = project_layers({l: acts.layer(l) for l in (all_layers if shared else chosen)}, acts.labels, shared=shared)
    return pca_grid(projs, acts.labels, layers=chosen, shared_basis=shared, title=run.label,
                    label_names=_label_names(run))


def _label_names(run: RunResult) -> tuple[str, str]:
    """Class names from the dataset catalog, else ("0", "1")."""
    try:

        return tuple(str(n) for n in get_dataset_info(str(run.spec.get("dataset"))).label_names)
    except Exception:  # custom or unknown dataset
        return ("0", "1")


def load_results(items: Sequence[str], store=None) -> list[RunResult]:
    """Each item is a result JSON path or a cached run key."""
    out = []
    for item in items:
        path = Path(item)
        if path.is_file():
            out.append(RunResult.load(path))
            continue

        try:
            out.append(load_run(store or Store(), item))
        except BadInputError:
            raise BadInputError(f"{item} is neither a result file nor a cached run key") from None
    return out


def write_figure(results: RunResult | Sequence[RunResult], path: str | Path, *, kind: str = "curves",
                 width_in: float = 6.5, height_in: float = 4.0, dpi: int = 300, store=None, **figure_kwargs) -> Path:
    """Build figure ``kind`` and write it to ``path`` (format from the extension: .png, .svg, .pdf)."""

    runs = [results] if isinstance(results, RunResult) else list(results)
    fmt = format_from_path(str(path))
    fig = build_figure(runs, kind, store=store, **figure_kwargs)
    data = figure_to_bytes(fig, fmt, width_in=width_in, height_in=height_in, dpi=dpi)
    return write_atomic(Path(path), data)


def _int_list(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BadInputError(f"--layers must be comma-separated integers, got {text!r}") from None


def _run(args: argparse.Namespace) -> int:


    if not args.figure and not args.bundle:
        raise BadInputError("give --figure FILE.svg|png|pdf or --bundle FILE.zip")
    if args.figure:
        check_output_path(args.figure, "--figure", suffixes=(".png", ".svg", ".pdf"))
    if args.bundle:
        check_output_path(args.bundle, "--bundle", suffixes=(".zip",))
    check_range(args.width, "--width", 0.5, 100)
    check_range(args.height, "--height", 0.5, 100)
    check_range(args.dpi, "--dpi", 10, 2400)
    check_range(args.layer, "--layer", 0, 10**6)
    store = Store(args.cache_dir) if args.cache_dir else None
    runs = load_results(args.results, store)
    if args.figure:
        path = write_figure(runs, args.figure, kind=args.kind, width_in=args.width, height_in=args.height,
                            dpi=args.dpi, store=store, metric=args.metric, x=args.x, value=args.value,
                            layer=args.layer, layers=_int_list(args.layers), shared_basis=args.shared_basis,
                            umap_seed=args.umap_seed)
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    if args.bundle:

        data = make_bundle(runs, figures=not args.no_figures, fmt="svg")
        write_atomic(Path(args.bundle), data)
        print(f"wrote {args.bundle} ({len(data)} bytes, {len(runs)} runs)")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="write paper figures (PNG/SVG/PDF) or a bundle from result files",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="+", metavar="RESULT", help="result JSON file(s) or cached run key(s)")
    p.add_argument("--figure", default=None, help="output figure file: .png, .svg or .pdf")
    p.add_argument("--kind", default="curves", choices=KINDS, help="which figure (default curves)")
    p.add_argument("--metric", default="accuracy", choices=("accuracy", "f1", "auc"),
                   help="metric of overlaid curves and difference curves")
    p.add_argument("--x", default="layer", choices=("layer", "relative"), help="x-axis: layer or layer/layers")
    p.add_argument("--value", default="jumping_point",
                   choices=("jumping_point", "converging_point", "peak_accuracy", "peak_layer"), help="heatmap value")
    p.add_argument("--layer", type=int, default=None, help="pca/umap: the layer (default the jumping point)")
    p.add_argument("--layers", default=None, help="grid: comma-separated layers (default 8 spread out)")
    p.add_argument("--shared-basis", action="store_true", help="pca/grid: one PCA basis for all layers")
    p.add_argument("--umap-seed", type=int, default=0,
                   help="umap: its random seed (default 0; the same seed gives the same picture). UMAP costs far "
                        "more than PCA: about 13 s the first time in a process (numba compiles), then under a "
                        "second per layer of 200 prompts")
    p.add_argument("--width", type=float, default=6.5, help="width in inches (default 6.5)")
    p.add_argument("--height", type=float, default=4.0, help="height in inches (default 4)")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    p.add_argument("--bundle", default=None, help="also/instead write a zip: JSON results, tidy CSV, figures, manifest")
    p.add_argument("--no-figures", action="store_true", help="bundle without figures (no Chrome needed)")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")
    p.set_defaults(func=_run)
