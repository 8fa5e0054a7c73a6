"""Issue 22 item 11: the app listens on 127.0.0.1 wherever it is started from, unless the user gives an address.

Streamlit reads ``.streamlit/config.toml`` from the working directory and beside the entry point it is given,
so a symlinked or copied ``app.py`` (or an older Streamlit, or an ASGI launcher) had no address and listened
on every interface. ``concept-depth app`` passes ``--server.address 127.0.0.1`` itself from any folder, and
``app.py`` serves nothing but a refusal when its server listens on a non-loopback address no one set.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

import ui
from concept_depth.cli import app_cmd
from concept_depth.cli.main import main
from ui import serving

REPO = Path(__file__).resolve().parents[2]


def test_the_launcher_runs_the_clones_app_on_loopback_from_any_folder(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(app_cmd, "launch", lambda argv: ran.append(argv) or 0)
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    monkeypatch.chdir(tmp_path)  # a folder with no .streamlit/config.toml
    assert main(["app", "--server.port", "8502", "--server.headless=true"]) == 0
    argv = ran[0]
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py")]
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"
    assert argv[-3:] == ["--server.port", "8502", "--server.headless=true"]  # the user's, as given


@pytest.mark.parametrize("given", [["--server.address", "10.1.2.3"], ["--server.address=::1"]])
def test_an_address_the_user_gives_is_theirs(monkeypatch, given):
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    argv = app_cmd.streamlit_argv(given)
    assert argv.count("127.0.0.1") == 0 and argv[-len(given):] == given
    assert "127.0.0.1" not in app_cmd.streamlit_argv([], env={"STREAMLIT_SERVER_ADDRESS": "10.1.2.3"})


def test_other_commands_still_refuse_unknown_arguments(capsys):
    with pytest.raises(SystemExit) as info:
        main(["datasets", "--server.port", "1"])
    assert info.value.code == 2 and "unrecognized arguments: --server.port" in capsys.readouterr().err


def test_an_installed_copy_without_the_clone_says_where_the_app_lives(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(app_cmd, "APP", tmp_path / "app.py")
    assert main(["app"]) == 3
    assert "runs from a clone" in capsys.readouterr().err


@pytest.mark.parametrize("address, user_set, listening, refused", [
    (None, False, ["::"], True),               # Streamlit's default: every interface
    (None, False, ["0.0.0.0"], True),
    (None, False, ["127.0.0.1"], False),
    (None, False, [], False),                  # no server (AppTest, bare mode): serves no one
    (None, False, None, True),                 # cannot tell: an address no one set is refused
    ("127.0.0.1", True, ["127.0.0.1"], False),
    ("::1", True, ["::1"], False),
    ("0.0.0.0", True, ["0.0.0.0"], False),     # the user's own choice (README says when it is safe)
    ("", True, ["::"], True),                  # an empty address is no address
])
def test_serving_refusal(address, user_set, listening, refused):
    message = serving.serving_refusal(address, user_set, listening)
    assert (message is not None) == refused
    if refused:
        assert "concept-depth app" in message and "\n" not in message


def test_listening_addresses_sees_this_processs_sockets():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        listening = serving.listening_addresses()
    assert listening is not None and "127.0.0.1" in listening
    assert serving.serving_refusal(None, False, listening) is None or any(
        not serving.is_loopback(a) for a in listening)


def test_app_py_serves_only_the_refusal_when_bound_everywhere_by_default(monkeypatch):
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(ui, "listening_addresses", lambda pid=None: ["::"])
    monkeypatch.setattr(config, "is_manually_set", lambda key: False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert [e.value for e in at.error] and "Refusing to serve" in at.error[0].value
    assert not at.exception and not at.button and not at.selectbox  # no page ran


@pytest.mark.skipif(os.name != "posix", reason="POSIX: the launcher becomes the server process")
def test_started_from_another_folder_the_server_listens_on_loopback_only(tmp_path, served_app):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(PYTHONPATH=str(REPO), CONCEPT_DEPTH_CACHE=str(tmp_path / "cache"))

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "concept_depth", "app", "--server.port", str(port), "--server.headless", "true"]

    with served_app(argv, cwd=tmp_path, env=env, log_path=tmp_path / "server.log", stop_timeout=15) as (_, proc):
        listening = serving.listening_addresses(proc.pid)  # the launcher became the server: same pid
        assert listening == ["127.0.0.1"], listening
