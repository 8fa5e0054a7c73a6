"""Two-dimensional PCA of layer vectors (pure numpy; no figure code).

A :class:`PCAProjection` is what the scatter, animation and grid figures take. With
``basis`` the same components are reused (one shared basis across layers), so
movement between layers is movement of the points, not of the axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class PCAProjection:
    """coords [N, k]; explained [k] = fraction of this layer's variance on each axis;
    components [k, D] (unit rows); mean [D] (the layer's own mean); degenerate: every vector
    of the layer is (numerically) the same, e.g. layer 0 when all prompts end in one token; method: ``pca``, or
    ``umap`` for a :func:`~.umap_projection.fit_umap` embedding (no components, nothing explained)."""

    coords: np.ndarray
    explained: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    degenerate: bool = False
    method: str = "pca"


def _top_components(centered: np.ndarray, k: int) -> np.ndarray:
    """Top-k right singular vectors of ``centered`` [N, D] -> [k, D]."""
    n, d = centered.shape
    if d <= n:  # D x D covariance is smaller: eigh on it
        cov = centered.T @ centered
        vals, vecs = np.linalg.eigh(cov.astype(np.float64))
        return vecs[:, ::-1][:, :k].T.astype(np.float32)
    # N x N Gram matrix is smaller
    gram = (centered @ centered.T).astype(np.float64)
    vals, vecs = np.linalg.eigh(gram)
    vals, vecs = vals[::-1][:k], vecs[:, ::-1][:, :k]
    comps = (centered.T.astype(np.float64) @ vecs) / np.sqrt(np.maximum(vals, 1e-12))
    return comps.T.astype(np.float32)


def _orient(components: np.ndarray, coords_fn, labels: np.ndarray | None) -> np.ndarray:
    """Flip signs so class 1 lies on the positive side of each axis (stable across layers)."""
    if labels is None:
        return components
    labels = np.asarray(labels)
    if not (labels == 1).any() or not (labels == 0).any():
        return components
    coords = coords_fn(components)
    flips = np.where(coords[labels == 1].mean(0) >= coords[labels == 0].mean(0), 1.0, -1.0)
    return components * flips[:, None].astype(components.dtype)


def project(x: np.ndarray, basis: np.ndarray, labels: np.ndarray | None = None) -> PCAProjection:
    """Project ``x`` [N, D] onto the rows of ``basis`` [k, D] after centring ``x`` on its own mean."""
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(0)
    centered = x - mean
    comps = _orient(np.asarray(basis, dtype=np.float32), lambda c: centered @ c.T, labels)
    coords = centered @ comps.T
    total = float((centered.astype(np.float64) ** 2).sum())
    # All vectors (numerically) equal, e.g. layer 0 when every prompt ends in the same token: no variance.
    degenerate = total <= 1e-10 * float((x.astype(np.float64) ** 2).sum())
    explained = np.zeros(comps.shape[0]) if degenerate else (coords.astype(np.float64) ** 2).sum(0) / total
    return PCAProjection(coords, explained, comps, mean, degenerate=bool(degenerate))


def fit_pca(x: np.ndarray, labels: np.ndarray | None = None, n_components: int = 2) -> PCAProjection:
    """PCA of one layer. x: [N, D] -> coords [N, n_components] with per-axis explained variance."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need at least 2 vectors of shape [N, D], got {x.shape}")
    k = min(n_components, x.shape[0], x.shape[1])
    comps = _top_components(x - x.mean(0), k)
    return project(x, comps, labels)


def shared_basis(layers: Sequence[np.ndarray], n_components: int = 2) -> np.ndarray:
    """One basis for several layers: PCA of all layers' vectors, each centred on its own mean.

    layers: sequence of [N, D] arrays -> components [k, D]. Each layer is scaled to unit
    mean squared norm first, so late layers with large norms do not dominate the basis.
    """
    parts = []
    for x in layers:
        c = np.asarray(x, dtype=np.float32)
        c = c - c.mean(0)
        scale = np.sqrt((c.astype(np.float64) ** 2).sum(1).mean()) or 1.0
        parts.append(c / np.float32(scale))
    stacked = np.concatenate(parts, 0)
    return _top_components(stacked, min(n_components, stacked.shape[1]))


def project_layers(layer_vectors: dict[int, np.ndarray], labels: np.ndarray | None = None,
                   shared: bool = False) -> dict[int, PCAProjection]:
    """PCA of each layer (``shared=False``) or of all on one basis. {layer: [N, D]} -> {layer: projection}."""
    if shared:
        basis = shared_basis(list(layer_vectors.values()))
        return {layer: project(x, basis, labels) for layer, x in layer_vectors.items()}
    return {layer: fit_pca(x, labels) for layer, x in layer_vectors.items()}
