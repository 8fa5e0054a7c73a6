"""``python -m concept_depth cache list|delete KEY|clear``: what the cache holds, with sizes."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from ..errors import BadInputError


def register(sub) -> None:
    p = sub.add_parser("cache", help="list or delete cached activations, results and converted models")
    p.add_argument("--cache-dir", default=None, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="list entries with their sizes")
    d = actions.add_parser("delete", help="delete one entry by key (a unique prefix is enough)")
    d.add_argument("key")
    c = actions.add_parser("clear", help="delete every cached activation and result")
    c.add_argument("--models", action="store_true", help="also delete converted models (the embedded one "
                                                          "takes a minute to convert again)")
    p.set_defaults(func=_cache, action=None)


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _describe(entry) -> str:
    spec = entry.summary.get("spec") or {}
    if "model" in spec and isinstance(spec["model"], dict):  # an ExtractionSpec
        m, d = spec["model"], spec.get("dataset") or {}
        return (f"{spec.get('model_label') or m.get('source')} / {d.get('name')} / {spec.get('hook')} / "
                f"{spec.get('pooling')}")
    parts = [str(spec.get(k)) for k in ("model_label", "model", "dataset", "quant", "hook") if spec.get(k)]
    return " / ".join(parts)


def _cache(args: argparse.Namespace) -> int:
    from ..store import Store

    store = Store(args.cache_dir)
    models = store.directory / "models"
    if args.action in (None, "list"):
        entries = store.entries()
        print(f"cache: {store.directory}  ({human(store.total_bytes())} in entries, "
              f"{human(_dir_size(models))} in converted models)")
        if not entries:
            print("no cached activations or results")
        for e in entries:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created)) if e.created else "-"
            print(f"{e.kind:<12} {e.key:<26} {human(e.size_bytes):>9}  {when}  {_describe(e)}")
        for sub in sorted(models.iterdir()) if models.exists() else []:
            if sub.is_dir() and not sub.name.startswith("."):
                print(f"{'model':<12} {sub.name:<26} {human(_dir_size(sub)):>9}")
        return 0
    if args.action == "delete":
        hits = [e for e in store.entries() if e.key.startswith(args.key)]
        if not hits and (models / args.key).is_dir():
            shutil.rmtree(models / args.key)
            print(f"deleted converted model {args.key}")
            return 0
        if not hits:
            raise BadInputError(f"no cache entry with key {args.key!r} (see `cache list`)")
        if len({e.key for e in hits}) > 1:
            raise BadInputError(f"key prefix {args.key!r} matches {len(hits)} entries; give more characters")
        for e in hits:
            store.delete(e.kind, e.key)
            print(f"deleted {e.kind} {e.key} ({human(e.size_bytes)})")
        return 0
    before = store.total_bytes()
    store.cache.clear()
    print(f"cleared {human(before)} of cached activations and results")
    if args.models and models.exists():
        size = _dir_size(models)
        shutil.rmtree(models)
        print(f"deleted {human(size)} of converted models")
    return 0
