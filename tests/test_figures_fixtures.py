"""Hand-made RunResult objects shared by the figure tests (no tests in this file)."""

from __future__ import annotations

import math

from concept_depth.results import DepthMetrics, LayerScore, RunResult


def make_run(*, model: str = "tiny:llama", dataset: str = "cities", category: str = "factual", quant: int = 32,
             noise: str = "none", n_layers: int = 8, cv: bool = False, jump: int | None = 3,
             converge: int | None = 5, key: str | None = None, shift: float = 0.0,
             control: bool = True) -> RunResult:
    layers = []
    for layer in range(n_layers + 1):
        acc = 0.5 + 0.45 / (1 + math.exp(-(layer - n_layers / 2))) - shift
        layers.append(LayerScore(
            layer=layer, accuracy=acc, f1=acc - 0.02, auc=min(1.0, acc + 0.03),
            accuracy_std=0.02 if cv else None, f1_std=0.03 if cv else None, auc_std=0.01 if cv else None,
            control_accuracy=0.5 + 0.01 * (layer % 2) if control else None,
        ))
    peak = max(layers, key=lambda s: s.accuracy)
    depth = DepthMetrics(jumping_point=jump, converging_point=converge, peak_layer=peak.layer,
                         peak_accuracy=peak.accuracy, chance=0.5, acquired=jump is not None, n_layers=n_layers)
    spec = {"model": model, "model_label": model, "dataset": dataset, "category": category, "quant": quant,
            "noise": noise, "noise_strength": 0.0, "noise_seed": 0, "hook": "residual", "pooling": "last",
            "limit": 100, "max_tokens": 512, "protocol": "cv" if cv else "paper", "probe": "lr",
            "prompt": None, "variant": None, "model_revision": None}
    return RunResult(spec=spec, n_samples=100, n_layers=n_layers, hidden_size=16, layers=tuple(layers),
                     depth=depth, key=key or f"{model}-{dataset}-{quant}-{noise}-{int(cv)}",
                     created="2026-11-22T10:00:00+00:00")
