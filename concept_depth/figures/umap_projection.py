"""UMAP of one layer's vectors (McInnes et al. 2018, the ``umap-learn`` package), beside PCA.

UMAP keeps each prompt's nearest neighbours together instead of the directions of largest variance, so
clusters that PCA's two axes hide can show. Its axes have no units and no "share of variance", distances
between clusters mean little, and it costs far more than PCA: measured on a 2-core machine, importing
umap-learn takes about 2 s, the first embedding of a process about 13 s (numba compiles its code), then
about 0.3-0.6 s per layer for 200 prompts of 640 dimensions and 3.5 s for 1000. PCA stays the default.

Seeded (``random_state``): the same vectors and seed give the same picture (umap then runs on one thread).
The result is a :class:`~.pca.PCAProjection` with ``method="umap"`` (no components; ``explained`` zero), so
the scatter and grid figures draw it as they draw PCA.
"""

from __future__ import annotations

import warnings

import numpy as np

from .pca import PCAProjection

#: Defaults of the embedding: umap-learn's own neighbourhood size, capped for small runs.
N_NEIGHBORS = 15
MIN_DIST = 0.1


def fit_umap(x: np.ndarray, labels: np.ndarray | None = None, *, seed: int = 0, n_neighbors: int = N_NEIGHBORS,
             min_dist: float = MIN_DIST) -> PCAProjection:
    """2-D UMAP of one layer: x [N, D] -> coords [N, 2] (``method="umap"``), oriented so class 1 lies on the
    positive side of each axis (as PCA's are). A layer whose vectors are all the same is one point."""
    # umap-learn is a heavy optional dependency (numba, pynndescent; seconds to import): imported only here
    import umap

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 3:
        raise ValueError(f"UMAP needs at least 3 vectors of shape [N, D], got {x.shape}")
    mean = x.mean(0)
    centered = x - mean
    if float((centered.astype(np.float64) ** 2).sum()) <= 1e-10 * float((x.astype(np.float64) ** 2).sum()):
        return PCAProjection(np.zeros((len(x), 2), np.float32), np.zeros(2), np.zeros((2, x.shape[1]), np.float32),
                             mean, degenerate=True, method="umap")
    reducer = umap.UMAP(n_components=2, n_neighbors=max(2, min(n_neighbors, len(x) - 1)), min_dist=min_dist,
                        random_state=int(seed), n_jobs=1, init="pca")
    with warnings.catch_warnings():  # umap warns that a seed means one thread, and about small inputs
        warnings.simplefilter("ignore")
        coords = np.asarray(reducer.fit_transform(x), dtype=np.float32)
    coords = coords - coords.mean(0)
    if labels is not None:
        labels = np.asarray(labels)
        if (labels == 1).any() and (labels == 0).any():
            flips = np.where(coords[labels == 1].mean(0) >= coords[labels == 0].mean(0), 1.0, -1.0)
            coords = coords * flips.astype(np.float32)
    return PCAProjection(coords, np.zeros(2), np.zeros((2, x.shape[1]), np.float32), mean, method="umap")


def umap_layers(layer_vectors: dict[int, np.ndarray], labels: np.ndarray | None = None, *,
                seed: int = 0) -> dict[int, PCAProjection]:
    """UMAP of each layer on its own (there is no shared UMAP basis). {layer: [N, D]} -> {layer: projection}."""
    return {layer: fit_umap(x, labels, seed=seed) for layer, x in layer_vectors.items()}
