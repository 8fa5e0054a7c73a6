"""Concept Depth Explorer engine: where inside a language model a concept becomes linearly readable.

Never imports streamlit: the app, the CLI and notebooks share this package. The public API
(``import concept_depth as cd``, see :mod:`concept_depth.api`): ``cd.load_model``, ``cd.extract``, ``cd.run``,
``cd.expression``, ``cd.transfer``, ``cd.directions``, ``cd.steer``, ``cd.sweep``, ``cd.families``, ``cd.series`` and
``cd.compute(spec)``; the specs (``cd.RunSpec.from_options(...)``...), the result types, the store, and
``cd.figures`` (plotting) and ``cd.choices`` (the values spec fields take). Importing the package imports neither torch nor transformers.

The layers, in the order data flows through them (each imports only the ones before it):
``core`` (specs, options, errors, progress) -> ``datasets`` -> ``models`` -> ``capture`` (the one forward
path) -> ``extraction`` -> ``storage`` -> ``probing`` / ``stats`` -> ``results`` -> ``analyses`` (each declared
once over one protocol) -> ``workflows`` (sweeps, families, baselines, comparisons, Ray) -> ``figures`` ->
``export`` -> ``cli`` / ``api``; the app's ``ui`` and ``app_pages`` sit on top.
"""

from . import figures
from .analyses import (
    ANALYSES,
    DirectionsResult,
    DirectionsSpec,
    ExpressionResult,
    ExpressionSpec,
    SteeringResult,
    SteerSpec,
    TransferResult,
    TransferSpec,
)
from .api import (
    compute,
    directions,
    expression,
    extract,
    families,
    load_model,
    run,
    series,
    steer,
    sweep,
    transfer,
)
from .core import choices
from .core.errors import BadInputError, Cancelled, ConceptDepthError, UnavailableError
from .core.specs import DatasetSpec, DepthSpec, ExtractionSpec, ModelSpec, NoiseSpec, ProbeSpec, RunSpec
from .results.run import RunResult
from .storage.store import Store

__version__ = "0.3.0"

__all__ = [
    "figures", "choices", "ANALYSES", "compute", "directions", "expression", "extract", "families", "series",
    "load_model", "run",
    "steer", "sweep", "transfer", "BadInputError", "Cancelled", "ConceptDepthError", "UnavailableError",
    "RunResult", "ExpressionResult", "TransferResult", "DirectionsResult", "SteeringResult", "DatasetSpec",
    "DepthSpec", "ExtractionSpec", "ModelSpec", "NoiseSpec", "ProbeSpec", "RunSpec", "ExpressionSpec",
    "TransferSpec", "DirectionsSpec", "SteerSpec", "Store",
]
