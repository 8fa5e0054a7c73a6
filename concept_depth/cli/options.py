"""Checks the commands make before any model is loaded: output paths and run options (``--device`` on
a cache hit too, so a typo never passes silently).

The options themselves are declared once in :mod:`concept_depth.core.options` (and by each analysis).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..core.errors import BadInputError, UnavailableError
from ..core.optional import torch
from ..core.options import (
    DATASET_OPTIONS,
    DEPTH_OPTIONS,
    EXTRACTION_OPTIONS,
    MODEL_OPTIONS,
    PROBE_OPTIONS,
    RUN_OPTIONS,
    OptionGroup,
    values_of,
)
from ..models.loader import resolve_device

#: The option groups of a sweep and of a families grid (``--model``, ``--quant``, ``--dataset`` and
#: ``--noise`` take comma lists).
SWEEP_GROUPS = (MODEL_OPTIONS, DATASET_OPTIONS, EXTRACTION_OPTIONS, PROBE_OPTIONS, DEPTH_OPTIONS)
SWEEP_LISTED = ("model", "quant", "dataset", "noise")


def add_option_groups(p: argparse.ArgumentParser, groups: tuple[OptionGroup, ...], *, listed=(),
                      run: OptionGroup = RUN_OPTIONS) -> None:
    """Add the declared option ``groups`` (names in ``listed`` take comma lists) and the ``run`` options."""
    for group in groups:
        group.add_to(p.add_argument_group(group.title), listed=listed)
    run.add_to(p.add_argument_group("how to run (never changes a number)"))


def sweep_options(args: argparse.Namespace) -> dict:
    """Keywords of ``concept_depth.workflows.sweeps.plan_sweep`` (model, quant, dataset, noise are comma lists)."""
    return values_of(args, SWEEP_GROUPS)


# ---- checks made before any model is loaded --------------------------------------------------
def check_output_path(path: str | os.PathLike, option: str, *, folder: bool = False,
                      suffixes: tuple[str, ...] | None = None) -> Path:
    """``path`` if the command will be able to write it, else one BadInputError line.

    Called before any model is loaded, so a typo costs nothing: a file path must not be a
    folder or lie under a file, a folder path must not be a file, and the nearest existing
    folder must accept a new file (tried with a temporary file, so read-only disks, missing
    permissions and full quotas all show up). ``suffixes`` (e.g. ``(".zip",)``) are the
    allowed extensions.
    """
    text = str(path)
    p = Path(text).expanduser()
    if not text.strip():
        raise BadInputError(f"{option} needs a path")
    if suffixes and p.suffix.lower() not in suffixes:
        ends = suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"
        raise BadInputError(f"{option} must end in {ends}, got {p.name!r}")
    if folder:
        if p.exists() and not p.is_dir():
            raise BadInputError(f"{option} {text}: that is a file, not a folder")
    elif p.is_dir() or text.endswith(("/", os.sep)):
        raise BadInputError(f"{option} {text}: that is a folder; give a file name")
    place = p if folder else p.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise BadInputError(f"{option} {text}: {place} is a file, so nothing can be written under it")
    try:
        fd, probe = tempfile.mkstemp(dir=place, prefix=".concept-depth-write-test-")
        os.close(fd)
        os.unlink(probe)
        if not folder and p.exists():
            with open(p, "ab"):
                pass
    except OSError as exc:
        raise BadInputError(f"{option} {text}: cannot write there ({exc.strerror or exc})") from None
    return p


def check_range(value, option: str, low: float, high: float) -> None:
    """One BadInputError line unless ``low <= value <= high`` (None passes: the default applies)."""
    if value is None:
        return
    if not (low <= value <= high):  # also false for NaN
        raise BadInputError(f"{option} must be between {low:g} and {high:g}, got {value}")


def check_device(device: str | None, *, here: bool = True) -> None:
    """``--device`` as the model load would take it, checked before anything runs (a cached result
    needs no device, but a typo must not pass only because the result was cached).

    None, ``auto`` and ``cpu`` pass without importing torch (a cached rerun needs none). ``here``: the
    device is this machine's, so it must exist (no CUDA, no MPS, a GPU index past the last ->
    UnavailableError, exit 3); else (a Ray cluster's workers) only its spelling is checked. A spelling
    torch does not know -> BadInputError (exit 2).
    """
    if device is None or device in ("auto", "cpu"):
        return
    if not here:
        try:
            torch.device(device)
        except (RuntimeError, TypeError):
            raise BadInputError(f"unknown device {device!r}; use cpu or cuda") from None
        return
    dev = resolve_device(device)
    if dev.type == "cuda" and dev.index is not None:
        n = torch.cuda.device_count()
        if dev.index >= n:
            have = "cuda:0" if n == 1 else f"cuda:0..cuda:{n - 1}"
            raise UnavailableError(f"device {device} was asked for but this machine has {n} CUDA "
                                   f"GPU{'' if n == 1 else 's'} ({have})")


def check_run_options(args: argparse.Namespace) -> None:
    """Run options that are not spec fields: --batch-size, --jobs, --device (on a Ray cluster only its
    spelling: the workers' devices are not this machine's)."""
    check_range(getattr(args, "batch_size", None), "--batch-size", 1, 65536)
    check_range(getattr(args, "jobs", None), "--jobs", 1, 1024)
    check_device(getattr(args, "device", None), here=getattr(args, "ray", None) is None)
