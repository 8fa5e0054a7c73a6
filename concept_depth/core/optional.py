"""Heavy dependencies, imported when first used: torch and transformers.

``from ..core.optional import torch`` binds a stand-in that imports the real module on its first
attribute access (``torch.float32``, ``transformers.AutoConfig``...). So importing the engine,
computing cache keys and reading cached results load neither (about two seconds on two cores),
while every module still names its dependencies at its top. Other optional packages (bitsandbytes,
gguf, safetensors, tokenizers, huggingface_hub, ray, umap, kaleido) are imported inside the
functions that need them, each marked so.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .errors import UnavailableError


class OptionalModule:
    """A module imported on first attribute access; an UnavailableError line if it is not installed."""

    __slots__ = ("_name", "_install", "_module")

    def __init__(self, name: str, install: str) -> None:
        self._name = name
        self._install = install
        self._module: ModuleType | None = None

    def load(self) -> ModuleType:
        """The real module (imported now if it was not yet)."""
        if self._module is None:
            try:
                self._module = importlib.import_module(self._name)
            except ImportError as exc:
                raise UnavailableError(f"{self._name} is not installed here ({exc}); {self._install}") from None
        return self._module

    @property
    def loaded(self) -> bool:
        """True once the module was imported (by us or anyone else)."""
        return self._module is not None or self._name in __import__("sys").modules

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<optional module {self._name!r} ({state})>"


_TORCH = "install the CPU build first: pip install torch==2.13.0 (see the README's set-up)"
_TRANSFORMERS = "pip install -r requirements.txt"

torch = OptionalModule("torch", _TORCH)
transformers = OptionalModule("transformers", _TRANSFORMERS)
#: Submodules the GGUF conversion reads (not reachable as attributes of ``transformers`` itself).
transformers_ggml = OptionalModule("transformers.integrations.ggml", _TRANSFORMERS)
transformers_gguf_utils = OptionalModule("transformers.modeling_gguf_pytorch_utils", _TRANSFORMERS)
transformers_tokenization_auto = OptionalModule("transformers.models.auto.tokenization_auto", _TRANSFORMERS)

__all__ = ["OptionalModule", "torch", "transformers", "transformers_ggml", "transformers_gguf_utils",
           "transformers_tokenization_auto"]
