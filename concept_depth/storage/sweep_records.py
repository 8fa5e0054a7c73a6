"""Sweep progress records: what a running sweep has done so far, kept in the store for the app.

A sweep (serial or on Ray) writes one small record of result kind ``sweep`` when it starts
and updates it after every finished or failed run, so the app's Runs page, reading the same
store, lists sweeps with their progress while they run. Fields::

    id, created_ts, started, updated, updated_ts, total, done, cached, failed,
    state ("running" | "finished" | "interrupted"), where ("serial", "ray local", "ray auto"...),
    spec {model, quant, dataset, noise}: the comma lists asked for, host, pid,
    failures [{run, error}] (the first MAX_FAILURES)

``done`` counts runs that landed (computed or cached) and ``failed`` the failed ones, so
``done + failed`` of ``total`` are finished. A record whose driver died stays "running";
:func:`sweep_state` tells it apart (same host, process gone).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from datetime import datetime, timezone
from typing import Any, Sequence

import psutil

#: Result kind of sweep records in the store.
SWEEP_KIND = "sweep"
#: Failures kept in a record (the CLI prints them all at the end).
MAX_FAILURES = 20


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def _names(items: Sequence, position: int) -> str:
    seen: list[str] = []
    for item in items:
        name = str(item.names[position])
        if name not in seen:
            seen.append(name)
    return ",".join(seen)


class SweepRecord:
    """The progress record of one sweep in ``store`` (written at once, then after each run)."""

    def __init__(self, store, items: Sequence, where: str) -> None:
        now = time.time()
        self.store = store
        self.id = f"sweep-{datetime.fromtimestamp(now):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        self.data: dict[str, Any] = {
            "id": self.id, "created_ts": now, "started": _iso(now), "updated": _iso(now), "updated_ts": now,
            "total": len(items), "done": 0, "cached": 0, "failed": 0, "state": "running", "where": where,
            "spec": {"model": _names(items, 0), "quant": _names(items, 1), "dataset": _names(items, 2),
                     "noise": _names(items, 3)},
            "host": socket.gethostname(), "pid": os.getpid(), "failures": [],
        }
        self._write()

    def _write(self) -> None:
        now = time.time()
        self.data.update(updated=_iso(now), updated_ts=now)
        try:
            self.store.put_result(SWEEP_KIND, self.id, self.data)
        except Exception:  # noqa: BLE001 - the record is a courtesy to the app; the sweep goes on
            pass

    def note(self, outcome) -> None:
        """Count one finished (``outcome.ok``) or failed run."""
        if outcome.ok:
            self.data["done"] += 1
            if outcome.result.timing.get("cached"):
                self.data["cached"] += 1
        else:
            self.data["failed"] += 1
            if len(self.data["failures"]) < MAX_FAILURES:
                self.data["failures"].append({"run": outcome.item.label, "error": str(outcome.error)[:300]})
        self._write()

    def finish(self, state: str = "finished") -> None:
        self.data["state"] = state
        self._write()


def list_sweeps(store, limit: int | None = None) -> list[dict[str, Any]]:
    """Sweep records, newest first (at most ``limit``), each with ``state`` as :func:`sweep_state` sees it."""
    records = [r for r in store.list_results(SWEEP_KIND) if isinstance(r.get("total"), int)]
    records.sort(key=lambda r: float(r.get("created_ts") or 0.0), reverse=True)
    return [dict(r, state=sweep_state(r)) for r in records[:limit]]


def sweep_state(record: dict[str, Any]) -> str:
    """``running``, ``finished``, ``interrupted``, or ``stopped`` (running, but its driver on this
    host is gone: killed before it could say so; a rerun of the same sweep resumes it)."""
    state = str(record.get("state") or "running")
    if state == "running" and record.get("host") == socket.gethostname():
        try:

            if not psutil.pid_exists(int(record.get("pid") or 0)):
                return "stopped"
        except (ImportError, ValueError, TypeError):
            pass
    return state
