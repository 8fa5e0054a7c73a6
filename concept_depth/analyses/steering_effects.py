"""The arithmetic of steering: the probe and random directions per layer, the pushes, their effects.

Used by :mod:`.steering`: :func:`layer_directions` fits the directions and the unit of alpha on the
training split; :class:`Pusher` runs the held-out prompts once unchanged and once per (layer,
alpha, direction) with the push added at the last token; :func:`effect_tables` turns the changes of
p(class 1) into means with standard errors; :func:`summary` says what moved and whether the probe's
direction moved the answer the intended way beyond its random control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..capture import AddAtLast, AnswerLogits, Capture, run_all
from ..core.optional import torch
from ..core.progress import ProgressTracker
from .common import ProbeFitter, unit
from .expression.scoring import two_way_p1

DIRECTIONS = ("probe", "random")
METRICS = ("delta_all", "delta_all_sem", "delta_class1", "delta_class1_sem", "delta_class0", "delta_class0_sem",
           "accuracy", "flipped")
#: An effect is called when the probe's push beats the random one by this many standard errors.
EFFECT_Z = 2.0


@dataclass
class LayerDirections:
    """Per steered layer: the unit probe direction, a seeded random unit direction, the two units of
    alpha (median raw norm, median distance from the mean; training split) and the probe's held-out accuracy."""

    units: list[np.ndarray] = field(default_factory=list)
    randoms: list[np.ndarray] = field(default_factory=list)
    raw_norms: list[float] = field(default_factory=list)
    centered_norms: list[float] = field(default_factory=list)
    readable: list[float] = field(default_factory=list)


def layer_directions(acts, layers: Sequence[int], y: np.ndarray, train: np.ndarray, test: np.ndarray,
                     fitter: ProbeFitter, random_seed: int) -> LayerDirections:
    out = LayerDirections()
    for layer in layers:
        X = acts.layer(layer)
        probe = fitter.fit(X[train], y[train])
        out.units.append(unit(probe.direction()))
        out.randoms.append(unit(np.random.default_rng([int(random_seed), int(layer)]).standard_normal(X.shape[1])))
        Xt = X[train].astype(np.float64)
        out.raw_norms.append(float(np.median(np.linalg.norm(Xt, axis=1))))
        out.centered_norms.append(float(np.median(np.linalg.norm(Xt - Xt.mean(axis=0), axis=1))))
        out.readable.append(float(np.mean(probe.predict(X[test]) == y[test])))
    return out


class Pusher:
    """p(class 1) of the held-out prompts, unchanged or with one push at the last token (one pass each)."""

    def __init__(self, lm, cap: Capture, ids: list, answer, batch_size: int, tracker: ProgressTracker) -> None:
        self.lm, self.cap, self.ids, self.answer = lm, cap, ids, answer
        self.batch_size, self.tracker, self.runs = batch_size, tracker, 0

    def p_class1(self, layer: int | None = None, push: np.ndarray | None = None) -> np.ndarray:
        edits = () if push is None else [AddAtLast(("residual", int(layer)), torch.from_numpy(push.astype(np.float32)))]
        reader = AnswerLogits(self.lm.model, self.lm.n_layers, self.answer.all_ids)
        base = self.runs * len(self.ids)
        got = run_all(self.cap, self.ids, reader, batch_size=self.batch_size, edits=edits,
                      on_batch=lambda done: self.tracker.update(base + done))
        self.runs += 1
        return two_way_p1(got["final"], len(self.answer.ids[0]))


def _stats(delta: np.ndarray) -> tuple[float, float]:
    """(mean, standard error) of a [n] array (sem 0 for one value)."""
    n = len(delta)
    if n == 0:
        return float("nan"), float("nan")
    return float(delta.mean()), float(delta.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def effect_tables(pusher: Pusher, dirs: LayerDirections, norms: Sequence[float], layers: Sequence[int],
                  alphas: Sequence[float], yt: np.ndarray, p_base: np.ndarray) -> tuple[dict, dict]:
    """``effects`` {direction: {metric: [L'][A]}} and ``excess`` {"class1" | "all": {"mean", "sem": [L'][A]}}
    (the paired probe - random change of p(class 1) per sample)."""
    effects = {d: {m: [[] for _ in layers] for m in METRICS} for d in DIRECTIONS}
    excess = {g: {"mean": [[] for _ in layers], "sem": [[] for _ in layers]} for g in ("class1", "all")}
    groups = (("delta_all", slice(None)), ("delta_class1", yt == 1), ("delta_class0", yt == 0))
    for li, layer in enumerate(layers):
        for alpha in alphas:
            deltas = {}
            for d, vec in (("probe", dirs.units[li]), ("random", dirs.randoms[li])):
                p = pusher.p_class1(layer, alpha * norms[li] * vec)
                deltas[d] = p - p_base
                row = effects[d]
                for name, mask in groups:
                    mean, sem = _stats(deltas[d][mask])
                    row[name][li].append(mean)
                    row[f"{name}_sem"][li].append(sem)
                row["accuracy"][li].append(float(np.mean((p > 0.5) == (yt == 1))))
                row["flipped"][li].append(float(np.mean((p > 0.5) != (p_base > 0.5))))
            for g, mask in (("class1", yt == 1), ("all", slice(None))):
                mean, sem = _stats((deltas["probe"] - deltas["random"])[mask])
                excess[g]["mean"][li].append(mean)
                excess[g]["sem"][li].append(sem)
    return effects, excess


def _intended(layers, alphas, effects, excess) -> dict[str, Any]:
    """The cell where the probe's own push moves p(class 1) most the intended way (up for alpha > 0,
    down for alpha < 0, on all held-out samples), and whether that beats its random control."""
    sign = np.sign(np.asarray(alphas, dtype=float))[None, :]
    own = sign * np.asarray(effects["probe"]["delta_all"], dtype=float)
    li, ai = np.unravel_index(int(np.nanargmax(own)), own.shape)
    beyond = float(sign[0, ai] * excess["all"]["mean"][li][ai])
    sem = float(excess["all"]["sem"][li][ai])
    z = beyond / sem if sem > 1e-12 else None
    found = bool(own[li, ai] > 0 and beyond > 0 and z is not None and z >= EFFECT_Z)
    return {"layer": int(layers[li]), "alpha": float(alphas[ai]), "probe_effect": float(own[li, ai]),
            "probe_effect_sem": float(effects["probe"]["delta_all_sem"][li][ai]),
            "random_effect": float(sign[0, ai] * effects["random"]["delta_all"][li][ai]),
            "beyond_random": beyond, "beyond_random_sem": sem, "z": z, "found": found,
            "rule": f"an effect is called when the probe's push moves p(class 1) the intended way (up for α > 0, "
                    f"down for α < 0) and beats the random push of the same size by ≥ {EFFECT_Z:g} standard errors"}


def summary(layers, alphas, effects, excess, readable, n_test: int, n_class1: int) -> dict[str, Any]:
    """``effect``: the probe's own signed effect in the intended direction (what a reader should see
    first) and whether it is an effect; ``best``: the largest paired probe - random difference on
    class-1 samples, whichever way it goes (picked after looking, so its z-score is optimistic)."""
    paired = np.asarray(excess["class1"]["mean"], dtype=float)
    li, ai = np.unravel_index(int(np.nanargmax(np.abs(paired))), paired.shape)
    e, s = excess["class1"]["mean"][li][ai], excess["class1"]["sem"][li][ai]
    best = {
        "layer": int(layers[li]), "alpha": float(alphas[ai]),
        "probe_delta_class1": effects["probe"]["delta_class1"][li][ai],
        "probe_delta_class1_sem": effects["probe"]["delta_class1_sem"][li][ai],
        "random_delta_class1": effects["random"]["delta_class1"][li][ai],
        "random_delta_class1_sem": effects["random"]["delta_class1_sem"][li][ai],
        "excess_class1": e, "excess_class1_sem": s, "z": (abs(e) / s) if s > 1e-12 else None,
    }
    per_layer = np.nanmax(np.abs(np.asarray(excess["all"]["mean"], dtype=float)), axis=1)
    return {"effect": _intended(layers, alphas, effects, excess), "best": best, "n_test": n_test,
            "n_test_class1": n_class1, "most_readable_layer": int(layers[int(np.argmax(readable))]),
            "most_steerable_layer": int(layers[int(np.nanargmax(per_layer))]),
            "max_excess_by_layer": [float(v) for v in per_layer]}


__all__ = ["DIRECTIONS", "METRICS", "EFFECT_Z", "LayerDirections", "layer_directions", "Pusher", "effect_tables",
           "summary"]
