"""A sweep's runs grouped by (model, bit width), one Ray task per group, and each task's resources.

Pure functions (no Ray): a group's task loads its model once and runs every dataset, noise
setting and hook of the group; its memory request comes from the model catalog's estimate
(``concept_depth.models.memory.memory_estimate``), so Ray never packs two models on a node
whose memory cannot hold both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ...core.specs import ModelSpec
from ...models.memory import memory_estimate
from ..sweeps import SweepItem


@dataclass(frozen=True)
class SweepGroup:
    """The runs of one (model, bit width): ``items`` are ``(index, SweepItem)``, index 1-based in the sweep."""

    model: ModelSpec
    items: tuple[tuple[int, SweepItem], ...]

    @property
    def label(self) -> str:
        return f"{self.model.source} {self.model.quant}-bit"


@dataclass(frozen=True)
class TaskResources:
    """What one group's task asks Ray for: CPUs, GPUs (fractions allowed), memory in bytes (None: unknown)."""

    num_cpus: float
    num_gpus: float
    memory: int | None

    def options(self) -> dict[str, Any]:
        """Keywords of ``remote_function.options``."""
        out: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory:
            out["memory"] = int(self.memory)
        return out


def group_items(items: Sequence[tuple[int, SweepItem]]) -> list[SweepGroup]:
    """Group ``(index, item)`` pairs by model spec (source, revision, bit width...), in order of first appearance."""
    groups: dict[ModelSpec, list[tuple[int, SweepItem]]] = {}
    for index, item in items:
        groups.setdefault(item.spec.extraction.model, []).append((index, item))
    return [SweepGroup(model, tuple(members)) for model, members in groups.items()]


def task_resources(model: ModelSpec, *, gpus: float, cpus: float = 1.0) -> TaskResources:
    """Resources of a task running ``model``: ``gpus`` GPUs, ``cpus`` CPUs and the memory the catalog
    estimates for the model at its bit width (on a GPU when ``gpus`` > 0, else on the CPU)."""

    try:
        memory = memory_estimate(model.source, model.quant, device_type="cuda" if gpus > 0 else "cpu",
                                 revision=model.revision, trust_remote_code=model.trust_remote_code)
    except Exception:  # noqa: BLE001 - an estimate is a nicety; without it Ray packs by CPUs/GPUs only
        memory = None
    return TaskResources(num_cpus=float(cpus), num_gpus=float(gpus), memory=memory)


def infeasible(resources: TaskResources, nodes: Sequence[dict[str, float]]) -> str | None:
    """Why no node of ``nodes`` (each node's total resources, Ray's names) can run the task, or None."""
    if not nodes:
        return None
    if not any(n.get("CPU", 0) >= resources.num_cpus and n.get("GPU", 0) >= resources.num_gpus
               and (not resources.memory or n.get("memory", 0) >= resources.memory) for n in nodes):
        gib = 1 << 30
        most_mem = max(n.get("memory", 0) for n in nodes) / gib
        most_gpu = max(n.get("GPU", 0) for n in nodes)
        need = f"{resources.num_gpus:g} GPU(s)" + (f" and {resources.memory / gib:.1f} GiB memory"
                                                   if resources.memory else "")
        return (f"no node of the cluster can run it: it needs {need}, the largest node has {most_gpu:g} GPU(s) "
                f"and {most_mem:.1f} GiB for Ray tasks; use a lower bit width (--quant), fewer GPUs per task "
                "(--gpus-per-task) or larger nodes")
    return None
