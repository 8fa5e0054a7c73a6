"""``concept-depth app`` (``python -m concept_depth app``): the clone's Streamlit app, on 127.0.0.1 only.

The app has no login (it runs models, deletes runs, reads local paths), so it must listen on this machine
only. ``.streamlit/config.toml`` says ``address = "127.0.0.1"``, but Streamlit finds that file only in the
working directory and, in recent Streamlit versions, beside the entry point it was given: started through a
symlink or a copy of ``app.py``, by an older Streamlit (``requirements.txt`` allows 1.40) or by an ASGI server, it has
no address and listens on every interface (``::``). Two guards close that:

- this launcher runs ``streamlit run <clone>/app.py --server.address 127.0.0.1`` (and usage statistics off)
  from whatever folder it is started in, unless the user gives an address (``--server.address``, or
  ``STREAMLIT_SERVER_ADDRESS``); every other argument goes to ``streamlit run`` as it is;
- ``app.py`` calls ``ui.serving.serving_refusal`` and serves nothing but that line when its server listens on a
  non-loopback address that no one set (Streamlit's default), however it was started.

Nothing here imports streamlit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from ..core.errors import UnavailableError

#: The clone's entry point (the app is not part of the installed distribution, see pyproject.toml).
APP = Path(__file__).resolve().parents[2] / "app.py"
LOOPBACK = "127.0.0.1"
#: Options the launcher sets unless the user does (name, value).
DEFAULTS = (("server.address", LOOPBACK), ("browser.gatherUsageStats", "false"))
#: Environment variables Streamlit reads for them.
ENV = {"server.address": "STREAMLIT_SERVER_ADDRESS", "browser.gatherUsageStats": "STREAMLIT_BROWSER_GATHER_USAGE_STATS"}


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


__all__ = ["APP", "LOOPBACK", "streamlit_argv", "launch", "register"]
