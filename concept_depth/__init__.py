"""Concept Depth Explorer engine: where inside a language model a concept becomes linearly readable.

Never imports streamlit: the app, the CLI and notebooks share this package.
"""

from .errors import BadInputError, Cancelled, ConceptDepthError, UnavailableError
from .results import RunResult
from .specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "BadInputError", "Cancelled", "ConceptDepthError", "UnavailableError", "RunResult",
    "DatasetSpec", "DepthSpec", "ExtractionSpec", "ModelSpec", "NoiseSpec", "ProbeSpec", "RunSpec", "Store",
]
