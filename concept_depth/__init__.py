"""Concept Depth Explorer engine: where inside a language model a concept becomes linearly readable.

Never imports streamlit: the app, the CLI and notebooks share this package. The notebook
API (``import concept_depth as cd``): ``cd.load_model``, ``cd.extract``, ``cd.run``,
``cd.expression``, ``cd.sweep``, ``cd.families``, ``cd.transfer``, ``cd.directions``, ``cd.steer`` (see
:mod:`concept_depth.api`). Importing the package does not import torch; the functions do
when they need a model.
"""

from . import figures
from .api import directions, expression, extract, families, load_model, run, steer, sweep, transfer
from .core.errors import BadInputError, Cancelled, ConceptDepthError, UnavailableError
from .core.specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec
from .results.run import RunResult
from .storage.store import Store

__version__ = "0.1.0"

__all__ = [
    "directions", "expression", "extract", "families", "load_model", "run", "steer", "sweep", "transfer",
    "BadInputError", "Cancelled", "ConceptDepthError", "UnavailableError", "RunResult",
    "DatasetSpec", "DepthSpec", "ExtractionSpec", "ModelSpec", "NoiseSpec", "ProbeSpec", "RunSpec", "Store",
]
