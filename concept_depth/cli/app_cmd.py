"""``concept-depth app`` (``python -m concept_depth app``): the clone's Streamlit app, on 127.0.0.1 only.

The app has no login (it runs models, deletes runs, reads local paths), so it must listen on this machine
only. ``.streamlit/config.toml`` says ``address = "127.0.0.1"``, but Streamlit finds that file only in the
working directory and, in recent Streamlit versions, beside the entry point it was given: started through a
symlink or a copy of ``app.py``, by an older Streamlit (``requirements.txt`` allows 1.40) or by an ASGI server, it has
no address and listens on every interface (``::``). Two guards close that:

- this launcher runs ``streamlit run <clone>/app.py --server.address 127.0.0.1`` (and usage statistics off)
  from whatever folder it is started in, unless the user gives an address (``--server.address``, or
  ``STREAMLIT_SERVER_ADDRESS``); every other argument goes to ``streamlit run`` as it is;
- ``app.py`` calls :func:`serving_refusal` and serves nothing but that line when its server listens on a
  non-loopback address that no one set (Streamlit's default), however it was started.

Nothing here imports streamlit.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

import psutil

from ..core.errors import UnavailableError

#: The clone's entry point (the app is not part of the installed distribution, see pyproject.toml).
APP = Path(__file__).resolve().parents[2] / "app.py"
LOOPBACK = "127.0.0.1"
#: Options the launcher sets unless the user does (name, value).
DEFAULTS = (("server.address", LOOPBACK), ("browser.gatherUsageStats", "false"))
#: Environment variables Streamlit reads for them.
ENV = {"server.address": "STREAMLIT_SERVER_ADDRESS", "browser.gatherUsageStats": "STREAMLIT_BROWSER_GATHER_USAGE_STATS"}

_refused: set[str] = set()


def _given(argv: Sequence[str], name: str) -> bool:
    flag = f"--{name}"
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def streamlit_argv(extra: Sequence[str] = (), env: Mapping[str, str] | None = None, app: Path = APP) -> list[str]:
    """The ``streamlit run`` command line: the clone's ``app.py``, bound to 127.0.0.1 and with usage
    statistics off unless ``extra`` (the user's own ``streamlit run`` arguments) or ``env`` sets them."""
    env = os.environ if env is None else env
    argv = [sys.executable, "-m", "streamlit", "run", str(app)]
    for name, value in DEFAULTS:
        if not _given(extra, name) and not env.get(ENV[name]):
            argv += [f"--{name}", value]
    return argv + list(extra)


def launch(argv: list[str]) -> int:
    """Run ``argv``: in place of this process on POSIX (Ctrl-C and SIGTERM go straight to Streamlit),
    as a child elsewhere."""
    if os.name == "posix":
        os.execv(argv[0], argv)
    return subprocess.call(argv)


def _app(args: argparse.Namespace) -> int:
    if not APP.is_file():
        raise UnavailableError(f"the app runs from a clone of the repository, and {APP} is not there (this is an "
                               "installed copy of the engine): clone it and run pip install -e . there")
    return launch(streamlit_argv(getattr(args, "streamlit_args", ())))


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "app", help="start the app, listening on 127.0.0.1 only (this machine), from any folder",
        description="Runs `streamlit run <clone>/app.py --server.address 127.0.0.1` from any folder; every other "
                    "argument goes to `streamlit run` (e.g. --server.port 8502). Give --server.address yourself "
                    "only behind an SSH tunnel or an authenticating proxy (README: Serving a lab safely).")
    p.set_defaults(func=_app, pass_through="streamlit_args")


# ---- the guard app.py calls -----------------------------------------------------------------
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


__all__ = ["APP", "LOOPBACK", "streamlit_argv", "launch", "register", "listening_addresses", "is_loopback",
           "serving_refusal", "refuse_once"]
