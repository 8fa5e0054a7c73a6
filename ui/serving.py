"""The loopback guard ``app.py`` calls: the app serves nothing but one line when its server listens on a
non-loopback address that no one set (Streamlit's default), however it was started.

The app has no login (it runs models, deletes runs, reads local paths), so it must listen on this machine
only; ``concept-depth app`` binds 127.0.0.1 (``concept_depth/cli/app_cmd.py``), this guard covers every
other way of starting it (a symlinked or copied ``app.py``, an older Streamlit, an ASGI server).
"""

from __future__ import annotations

import ipaddress
import sys
from typing import Sequence

import psutil

_refused: set[str] = set()


def listening_addresses(pid: int | None = None) -> list[str] | None:
    """The addresses process ``pid`` (default: this one) listens on over TCP, or None when they cannot
    be read here."""
    try:
        proc = psutil.Process(pid)
        read = getattr(proc, "net_connections", None) or proc.connections  # psutil < 6 calls it connections
        conns = read(kind="inet")
    except (psutil.Error, OSError):
        return None
    return sorted({c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN and c.laddr})


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return address == "localhost"


def serving_refusal(address: str | None, user_set: bool, listening: Sequence[str] | None) -> str | None:
    """Why the app must not serve, in one line, or None when it may.

    address, user_set : Streamlit's ``server.address`` and whether anyone set it (a flag, a variable, a
        config file); an address the user chose is theirs to choose.
    listening : the addresses this process listens on (:func:`listening_addresses`); None when unknown,
        then an address no one set is refused as if it listened everywhere. No listener at all (AppTest,
        bare mode) serves no one and is never refused.
    """
    if user_set and address:
        return None
    if listening is None:
        exposed = ["every interface"]
    else:
        exposed = [a for a in listening if not is_loopback(a)]
    if not exposed:
        return None
    where = ", ".join("every interface" if a in ("::", "0.0.0.0") else a for a in exposed)
    return (f"Refusing to serve: no server address was set, so Streamlit listens on {where} and anyone who "
            "can reach this machine could run models and read local paths. Start the app with `concept-depth "
            "app` (or `streamlit run app.py --server.address 127.0.0.1`); see README, Serving a lab safely.")


def refuse_once(message: str) -> None:
    """Say ``message`` on the server's stderr, once per process (the page says it to each visitor)."""
    if message not in _refused:
        _refused.add(message)
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()


__all__ = ["listening_addresses", "is_loopback", "serving_refusal", "refuse_once"]
