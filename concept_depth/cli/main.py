"""``python -m concept_depth``: one parser, one sub-command module each.

Each module in :data:`COMMANDS` defines ``register(subparsers)``, which adds its parser
and sets ``func(args) -> int``. Engine errors become one ``error:`` line on stderr
and exit 2 (bad input) or 3 (model or environment unavailable). Ctrl-C and SIGTERM (``kill``, a
scheduler's time limit, ``docker stop``) end a command alike: one "interrupted" line, exit 130 for
Ctrl-C and 143 (128 + 15, the shell's code for SIGTERM) for SIGTERM, so a script can tell them apart;
either way the work already finished stays cached. A reader that goes away (``| head``) ends the command
quietly, exit 141 (128 + SIGPIPE, as a shell reports it), with no traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

from ..core.errors import ConceptDepthError
from . import (
    analysis_cmd,
    app_cmd,
    cache_cmd,
    datasets_cmd,
    export_cmd,
    extract_cmd,
    families_cmd,
    models_cmd,
    series_cmd,
    sweep_cmd,
)

#: Sub-command modules, in the order the help lists them; ``analysis_cmd`` adds one command per analysis
#: (run, expression, transfer, directions, steer) from the analyses' declarations. A command whose parser
#: sets ``pass_through`` (``app``) receives the arguments it does not know in that attribute.
COMMANDS = (app_cmd, datasets_cmd, models_cmd, extract_cmd, analysis_cmd, sweep_cmd, families_cmd, series_cmd,
            export_cmd,
            cache_cmd)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m concept_depth",
                     description="Concept Depth Explorer: where inside a language model a concept becomes linearly readable.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


#: A comma list of numbers starting with a minus sign (``-4,-2,2,4``): argparse would take it for an option.
_NEGATIVE_LIST = re.compile(r"^-\d[\d.eE+-]*(,[-+]?\d[\d.eE+-]*)+$")


def glue_negative_lists(argv: list[str]) -> list[str]:
    """``--alpha -4,-2,2,4`` -> ``--alpha=-4,-2,2,4``, so argparse reads the list as the option's value."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and "=" not in arg and i + 1 < len(argv) and _NEGATIVE_LIST.match(argv[i + 1]):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


INTERRUPTED = "error: interrupted (finished work is cached; run again to resume)\n"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds exactly as Ctrl-C does (locks released,
    sweep records marked interrupted, temporary files removed) rather than dying on the spot."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated`; the previous handler comes back after.
    Only the main thread can handle signals: elsewhere (a notebook's worker thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush meets no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (captured, a notebook): nothing to flush
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(glue_negative_lists(list(sys.argv[1:] if argv is None else argv)))
    if extra:
        if not getattr(args, "pass_through", None):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        setattr(args, args.pass_through, extra)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with sigterm_as_interrupt():
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # here, not at exit, so a closed pipe is met inside this try
            return code
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except ConceptDepthError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        sys.stderr.write(INTERRUPTED)
        return 143 if isinstance(exc, Terminated) else 130
