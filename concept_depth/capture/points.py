"""Layer numbering of the hook points (where each architecture keeps them: models.architectures)."""

from __future__ import annotations


def layer_numbers(n_layers: int, hook: str) -> tuple[int, ...]:
    """All layer numbers a hook offers: residual 0..L (0 = embeddings), block hooks 1..L."""
    return tuple(range(0, n_layers + 1)) if hook == "residual" else tuple(range(1, n_layers + 1))
