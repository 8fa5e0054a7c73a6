"""Issue 22 item 19, the words: the README's set-up states the Python version that pyproject.toml asks for,
installs the CPU build of torch first, then the package (``pip install -e .``), and the CI test command
installs in that order too."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_setup_names_the_python_version_that_pyproject_asks_for():
    wanted = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    version = re.fullmatch(r">=\s*(\d+\.\d+)", wanted).group(1)
    setup = _section((REPO / "README.md").read_text(), "Set-up")
    assert f"Python {version}" in setup and f"{version} or newer" in setup


def test_torch_is_installed_first_as_the_pinned_cpu_build_then_the_package():
    readme = (REPO / "README.md").read_text()
    pin = next(line for line in (REPO / "requirements.txt").read_text().splitlines() if line.startswith("torch=="))
    for block in (_section(readme, "Set-up"), readme.split("<!-- test-command -->", 1)[1]):
        installs = re.findall(r"pip install ([^&\n#]*)", block)
        assert installs[0].split()[-1] == pin, installs  # the first install is torch, as pinned
        assert any(i.split()[-1] == "." and "-e" in i.split() for i in installs[1:]), installs  # then the package
    assert "CPU build" in _section(readme, "Set-up") and "download.pytorch.org/whl/cpu" in readme
