"""Issue 22 item 19: the package installs (``pip install .`` and ``pip install -e .``) and works outside
the clone: ``import concept_depth``, ``python -m concept_depth`` and the ``concept-depth`` console script.

Each test copies what the build reads (``pyproject.toml``, ``README.md``, ``requirements*.txt`` and
``concept_depth/``) into a temporary folder, installs it with the running pip, offline and without
dependencies, into a new virtual environment that sees this interpreter's packages (torch and the rest),
and runs it from a third folder, so neither the clone nor the current directory can be what is imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_FILES = ("pyproject.toml", "README.md", "requirements.txt", "requirements-cluster.txt")

pytestmark = pytest.mark.install


def _source_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO / "concept_depth", src / "concept_depth",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in BUILD_FILES:
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, src / name)
    return src


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _install(bin_dir: Path, *target: str) -> None:
    # --ignore-installed: into the venv even where this interpreter has the package already (CI's pip install -e .)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q",
                           "--no-build-isolation", "--no-deps", "--no-index", "--ignore-installed", *target],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _run(bin_dir: Path, cwd: Path, *argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(argv, cwd=cwd, env=dict(env, PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_pip_install_gives_the_package_its_module_and_its_console_script(tmp_path):
    src, bin_dir = _source_copy(tmp_path), _venv(tmp_path)
    _install(bin_dir, str(src))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(bin_dir, elsewhere, str(bin_dir / "python"), "-c",
                 "import concept_depth, sys; print(concept_depth.__file__); print(sys.prefix)").split()
    assert Path(where[0]).is_relative_to(Path(where[1])), where  # the venv's own copy, not the clone's
    assert "usage: python -m concept_depth" in _run(bin_dir, elsewhere, str(bin_dir / "python"), "-m", "concept_depth",
                                                    "--help")
    assert "COMMAND" in _run(bin_dir, elsewhere, str(bin_dir / "concept-depth"), "--help")
    # the distribution is the engine: no app helpers, tests or benchmarks land in site-packages
    record = next(Path(where[0]).parents[1].glob("concept_depth-*.dist-info")) / "RECORD"
    top = {line.split("/", 1)[0] for line in record.read_text().splitlines()}
    assert {t for t in top if t != ".." and not t.startswith("concept_depth")} == set(), top  # "..": bin/


def test_an_editable_install_imports_the_clone_from_anywhere(tmp_path):
    src, bin_dir = _source_copy(tmp_path), _venv(tmp_path)
    _install(bin_dir, "-e", str(src))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(bin_dir, elsewhere, str(bin_dir / "python"), "-c", "import concept_depth; print(concept_depth.__file__)")
    assert Path(where.strip()) == src / "concept_depth" / "__init__.py"
    assert "COMMAND" in _run(bin_dir, elsewhere, str(bin_dir / "concept-depth"), "--help")
