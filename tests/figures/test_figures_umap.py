"""UMAP beside PCA (issue 20 item 5): seeded, drawn by the same scatter and grid figures, and exported by
``export --kind umap``."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("umap")


def _layer(n=60, d=24, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    x = rng.normal(size=(n, d)).astype(np.float32)
    x[:, 0] += 4.0 * labels  # the concept along one direction
    return x, labels


def test_umap_is_seeded_oriented_and_drawn_as_the_pca_views_are():
    from concept_depth.figures import fit_umap, pca_grid, pca_scatter

    x, labels = _layer()
    a, b = fit_umap(x, labels, seed=3), fit_umap(x, labels, seed=3)
    assert a.method == "umap" and a.coords.shape == (60, 2) and np.array_equal(a.coords, b.coords)
    assert (a.coords[labels == 1].mean(0) >= a.coords[labels == 0].mean(0)).all()  # class 1 on the positive side
    fig = pca_scatter(a, labels, layer=4)
    assert fig.layout.xaxis.title.text == "UMAP 1" and fig.layout.yaxis.title.text == "UMAP 2"
    assert fig.layout.title.text.startswith("Layer 4: UMAP") and "no units" in fig.layout.title.text
    grid = pca_grid({1: a, 2: fit_umap(x[::-1], labels[::-1])}, labels, layers=[1, 2])
    assert "UMAP of chosen layers" in grid.layout.title.text and "variance" not in grid.layout.title.text
    same = fit_umap(np.ones((10, 4), np.float32), np.arange(10) % 2)
    assert same.degenerate and same.method == "umap"


def test_importing_the_package_does_not_import_umap():
    import subprocess

    out = subprocess.run([sys.executable, "-c", "import concept_depth, sys; print('umap' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_export_kind_umap_draws_a_cached_runs_layer(tmp_path):
    from concept_depth import run
    from concept_depth.cli.export_cmd import KINDS, build_figure
    from concept_depth.storage.store import Store

    result = run(model="tiny:llama", dataset="builtin-coinflip", limit=20, cache_dir=tmp_path, progress=False)
    assert "umap" in KINDS
    fig = build_figure([result], "umap", layer=2, store=Store(tmp_path))
    assert fig.layout.xaxis.title.text == "UMAP 1" and "layer 2" in fig.layout.title.text
    again = build_figure([result], "umap", layer=2, store=Store(tmp_path))
    assert np.array_equal(np.asarray(fig.data[0].x), np.asarray(again.data[0].x))  # seeded
