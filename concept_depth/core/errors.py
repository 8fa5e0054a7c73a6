"""Errors the engine raises on purpose.

Every error a user can cause or meet (bad input, missing model, offline, not enough
memory) is one of these, so the CLI prints one ``error:`` line and the app shows a
readable message instead of a traceback.
"""

from __future__ import annotations


class ConceptDepthError(Exception):
    """Base class: a message meant for the user. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class BadInputError(ConceptDepthError, ValueError):
    """The user's input is wrong: a bad file, column, option or combination (CLI exit 2)."""

    exit_code = 2


class UnavailableError(ConceptDepthError, RuntimeError):
    """A model, file, bit width or resource cannot be had here (CLI exit 3)."""

    exit_code = 3


class Cancelled(ConceptDepthError):
    """The user cancelled a long computation through its progress callback."""

    exit_code = 130
