"""``python -m concept_depth``: one parser, one sub-command module each.

Each module in ``COMMANDS`` defines ``register(subparsers)``, which adds its parser
and sets ``func(args) -> int``. Engine errors become one ``error:`` line on stderr
and exit 2 (bad input) or 3 (model or environment unavailable).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import ConceptDepthError

COMMANDS = ("datasets", "models", "extract", "run", "sweep", "families", "expression", "export", "cache")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m concept_depth",
                     description="Concept Depth Explorer: where inside a language model a concept becomes linearly readable.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".{name}_cmd", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConceptDepthError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (finished work is cached; run again to resume)\n")
        return 130
