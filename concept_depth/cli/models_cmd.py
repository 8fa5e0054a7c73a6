"""``python -m concept_depth models [SOURCE]``: the model catalog with the memory each model needs,
or the estimate for one source (any hub id, directory or .gguf file) against what is free here."""

from __future__ import annotations

import argparse

from ..core.errors import UnavailableError
from ..models.fingerprint import classify_source
from ..models.known import KNOWN_MODELS
from ..models.memory import free_memory, gpu_free, memory_estimate

QUANTS = (32, 16, 8, 4)


def _gib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**30:.1f}"


def _list(args: argparse.Namespace) -> int:

    rows = [("source", "family", "layers", "hidden", "params", *(f"{q}-bit GiB" for q in QUANTS), "")]
    for m in KNOWN_MODELS:
        need = m.memory(args.device_type)
        tags = ", ".join(t for t, on in (("paper", m.paper), ("offline", m.offline), ("gated", m.gated),
                                                   ("chat template", m.instruct)) if on)
        rows.append((m.source, m.family, str(m.n_layers), str(m.hidden_size), m.params,
                     *(_gib(need[q]) for q in QUANTS), tags))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.rjust(w) if 2 <= i <= 8 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    print(f"\nmemory on {args.device_type}: weights x 1.2 + 0.5 GiB (8/4-bit keep the embeddings in "
          f"{'float32' if args.device_type == 'cpu' else '16-bit'}); `models SOURCE` checks one model against free memory")
    return 0


def _one(args: argparse.Namespace) -> int:

    classify_source(args.source)  # a bad name or missing path says so itself
    needs = {q: memory_estimate(args.source, q, device_type=args.device_type, revision=args.revision)
             for q in QUANTS}
    if all(v is None for v in needs.values()):
        raise UnavailableError(f"cannot tell the size of {args.source} without loading it "
                               "(no catalog entry, config or safetensors metadata at hand)")
    free = free_memory(args.device_type) if args.device_type == "cpu" else _cuda_free()
    print(f"{args.source} on {args.device_type} ({_gib(free)} GiB free):")
    for q, v in needs.items():
        fits = "" if free is None else ("  fits" if v <= free else "  does not fit")
        print(f"  {q:>2}-bit  {_gib(v):>6} GiB{fits}")
    return 0


def _cuda_free() -> int | None:

    free = gpu_free()
    return sum(free) if free else None


def _run(args: argparse.Namespace) -> int:
    return _one(args) if args.source else _list(args)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="the model catalog (paper and small models) with memory per bit width",
                       description=__doc__)
    p.add_argument("source", nargs="?", default=None, help="one model: catalog name, hub id, directory or .gguf")
    p.add_argument("--device-type", default="cuda", choices=("cuda", "cpu"),
                   help="where the model would run (8/4-bit embeddings stay float32 on cpu)")
    p.add_argument("--revision", default=None, help="hub revision for SOURCE")
    p.set_defaults(func=_run)
