"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def one_error_line(capsys):
    """``one_error_line()``: what the command wrote to stderr, checked to be exactly one ``error:`` line."""

    def read() -> str:
        err = capsys.readouterr().err
        assert err.startswith("error:") and len(err.strip().splitlines()) == 1, err
        return err
    return read
