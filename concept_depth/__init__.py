"""Concept Depth Explorer engine: where inside a language model a concept becomes linearly readable.

Never imports streamlit: the app, the CLI and notebooks share this package. The notebook
API (``import concept_depth as cd``): ``cd.load_model``, ``cd.extract``, ``cd.run``,
``cd.expression``, ``cd.sweep``, ``cd.transfer``, ``cd.directions``, ``cd.steer`` (see
:mod:`concept_depth.api`). Importing the package does not import torch; the functions do
when they need a model.
"""

import sys as _sys
import types as _types

from .api import directions, expression, extract, load_model, run, steer, sweep, transfer


class _Package(_types.ModuleType):
    """``cd.expression`` and ``cd.sweep`` are functions *and* the names of submodules. Importing a
    submodule the first time makes Python set it as an attribute of this package, which would turn
    ``cd.expression`` into a module after the first call; the functions keep their names here (the
    submodules stay importable: ``from concept_depth.expression import ...`` reads sys.modules)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, _types.ModuleType) and callable(self.__dict__.get(name)):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
from .errors import BadInputError, Cancelled, ConceptDepthError, UnavailableError
from .results import RunResult
from .specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "directions", "expression", "extract", "load_model", "run", "steer", "sweep", "transfer",
    "BadInputError", "Cancelled", "ConceptDepthError", "UnavailableError", "RunResult",
    "DatasetSpec", "DepthSpec", "ExtractionSpec", "ModelSpec", "NoiseSpec", "ProbeSpec", "RunSpec", "Store",
]
