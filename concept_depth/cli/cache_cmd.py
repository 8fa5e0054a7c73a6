"""``python -m concept_depth cache list|delete KEY|clear|verify|import FILE...``: what the cache holds.

Entries are addressed by key only (as ``cache list`` prints them), never by path:
``delete`` removes one entry or one converted model of this cache and nothing else.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..core.errors import BadInputError
from ..results.cache_check import verify_cache
from ..results.imports import import_results
from ..storage.layer_files import folder_bytes
from ..storage.store import Store, check_key, format_bytes

human = format_bytes  # kept for callers of the old name
MIN_PREFIX = 4


def _cache_dir_option(p: argparse.ArgumentParser, default) -> None:
    p.add_argument("--cache-dir", default=default, help="cache directory (default $CONCEPT_DEPTH_CACHE or ./cache)")


def register(sub) -> None:
    p = sub.add_parser("cache", help="list, verify, import or delete cached activations, results and converted models")
    _cache_dir_option(p, None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    # --cache-dir may come before or after the action; SUPPRESS keeps the earlier value when absent
    _cache_dir_option(actions.add_parser("list", help="list entries with their sizes"), argparse.SUPPRESS)
    d = actions.add_parser("delete", help="delete one entry by key (a unique prefix is enough) or one converted "
                                          "model by name, as `cache list` shows them")
    d.add_argument("key")
    _cache_dir_option(d, argparse.SUPPRESS)
    c = actions.add_parser("clear", help="delete every cached activation and result")
    c.add_argument("--models", action="store_true", help="also delete converted models (the embedded one "
                                                          "takes a minute to convert again)")
    _cache_dir_option(c, argparse.SUPPRESS)
    v = actions.add_parser("verify", help="check every entry (checksums, metadata, results); one line per problem")
    v.add_argument("--repair", action="store_true", help="restore damaged entries from their sidecar copies, delete "
                                                          "what cannot be restored (computed again when needed)")
    _cache_dir_option(v, argparse.SUPPRESS)
    i = actions.add_parser("import", help="import result JSON files made elsewhere (validated; never replaces a run)")
    i.add_argument("files", nargs="+", metavar="FILE")
    _cache_dir_option(i, argparse.SUPPRESS)
    p.set_defaults(func=_cache, action=None)


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 problem``, ``2 problems`` (``words``: the plural when it is not ``word + "s"``)."""
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def _describe(entry) -> str:
    spec = entry.summary.get("spec") or {}
    if "model" in spec and isinstance(spec["model"], dict):  # an ExtractionSpec
        m, d = spec["model"], spec.get("dataset") or {}
        return (f"{spec.get('model_label') or m.get('source')} / {d.get('name')} / {spec.get('hook')} / "
                f"{spec.get('pooling')}")
    if entry.kind == "partial":
        return "extraction in progress or interrupted (resumes on the next run)"
    parts = [str(spec.get(k))[:60] for k in ("model_label", "model", "dataset", "quant", "hook") if spec.get(k)]
    return " / ".join(parts)


def _list(store) -> int:
    entries = store.entries()
    models = store.converted_models()

    model_bytes = {name: folder_bytes(path) for name, path in models.items()}
    print(f"cache: {store.directory}  ({format_bytes(store.total_bytes())} in entries, "
          f"{format_bytes(sum(model_bytes.values()))} in converted models)")
    if not entries:
        print("no cached activations or results")
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created)) if e.created else "-"
        print(f"{e.kind:<12} {e.key:<26} {format_bytes(e.size_bytes):>9}  {when}  {_describe(e)}")
    for name, size in model_bytes.items():
        print(f"{'model':<12} {name:<26} {format_bytes(size):>9}")
    for path in store.leftovers():
        print(f"note: {path.name} is ignored (old cache format or damaged index); `cache clear` or "
              "`cache verify --repair` removes it")
    for path in store.conversion_leftovers():
        size = folder_bytes(path) if path.is_dir() else path.stat().st_size
        print(f"note: models/{path.name} ({format_bytes(size)}) was left by an interrupted model conversion; "
              "`cache clear` or `cache verify --repair` removes it")
    return 0


def _delete(store, key: str) -> int:
    check_key(key, "cache key or model name")
    entries = store.entries()
    exact = [e for e in entries if e.key == key]
    hits = exact or ([e for e in entries if e.key.startswith(key)] if len(key) >= MIN_PREFIX else [])
    if not hits and key in store.converted_models():
        size = store.delete_converted_model(key)
        print(f"deleted converted model {key} ({format_bytes(size)})")
        return 0
    if not hits:
        extra = f" (a key prefix needs at least {MIN_PREFIX} characters)" if len(key) < MIN_PREFIX else ""
        raise BadInputError(f"no cache entry with key {key!r}{extra}; see `cache list`")
    if len({e.key for e in hits}) > 1:
        raise BadInputError(f"key prefix {key!r} matches {len({e.key for e in hits})} entries; give more characters")
    for e in hits:
        store.delete(e.kind, e.key)
        print(f"deleted {e.kind} {e.key} ({format_bytes(e.size_bytes)})")
    return 0


def _clear(store, models: bool) -> int:
    before = store.total_bytes()
    kept = store.clear()
    print(f"cleared {format_bytes(before)} of cached activations and results")
    if kept:
        print(f"left alone {plural(len(kept), 'item')} the cache did not make, e.g. "
              f"{kept[0].relative_to(store.directory)}")
    if models:
        freed = sum(store.delete_converted_model(name) for name in list(store.converted_models()))
        print(f"deleted {format_bytes(freed)} of converted models")
    return 0


def _verify(store, repair: bool) -> int:

    findings = verify_cache(store, repair=repair)
    for f in findings:
        print(f.line())
    problems = [f for f in findings if not f.note]
    n = len(store.entries(repair=repair))  # verify alone changes nothing, not even what it lists
    if not problems:
        print(f"cache {store.directory}: {plural(n, 'entry', 'entries')}, all intact")
        return 0
    if repair:
        restored = sum(1 for f in problems if f.fixed and f.fixed != "deleted")
        deleted = len(problems) - restored
        print(f"repaired: restored {restored}, deleted {plural(deleted, 'damaged or stray item')}; "
              f"{plural(n, 'intact entry', 'intact entries')} left")
        return 0
    sys.stderr.write(f"error: {plural(len(problems), 'problem')} in the cache (listed above); "
                     "`cache verify --repair` restores what has an intact copy and deletes the rest\n")
    return 1


def _import(store, files) -> int:

    report = import_results(store, files)
    for o in report.outcomes:
        print(o.message, file=sys.stdout if o.ok else sys.stderr)
    if report.failed:
        sys.stderr.write(f"error: {len(report.failed)} of {len(report.outcomes)} files were not imported "
                         "(listed above)\n")
        return 2
    return 0


def _cache(args: argparse.Namespace) -> int:

    store = Store(args.cache_dir)
    if args.action in (None, "list"):
        return _list(store)
    if args.action == "delete":
        return _delete(store, args.key)
    if args.action == "verify":
        return _verify(store, args.repair)
    if args.action == "import":
        return _import(store, args.files)
    return _clear(store, args.models)
