"""One analysis protocol: an analysis is declared once, and one runner runs, lists and loads every kind.

An :class:`Analysis` declares what an analysis is: its result ``kind`` in the store, its
command name, its frozen spec class (``from_options``), its result class, its cache ``key`` and its
``compute`` function, the options its command takes and the text report it prints. Everything
else is derived from the declaration, once, for every analysis:

- :func:`run_analysis`: the spec's key -> the cached result, else compute it once (under the store's
  lock, see ``Store.memoize``) and store it. A cached result loads no model and no layer vector;
- :meth:`Analysis.list` / :meth:`Analysis.load`: the stored results of a kind, newest first;
- the command line sub-command (:mod:`concept_depth.cli.analysis_cmd`), the notebook function
  (``cd.run``, ``cd.transfer``... in :mod:`concept_depth.api`) and the app's run block (``ui.run_analysis``).

A :class:`Session` carries how a run runs, which never changes a number: the store, the model
loader, batch size, device, progress callback, probe workers, the dataset folder and who asked for
it (``origin``). It loads each dataset once and keeps one model in memory at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from ..core.options import OptionGroup
from ..core.progress import ProgressCallback
from ..core.specs import DatasetSpec, ExtractionSpec, ModelSpec, Spec, specs_within
from ..datasets import SampleSet, load_samples
from ..extraction import Activations, activation_key_for, extract_activations
from ..extraction.keys import fingerprint_for
from ..models.loader import OneModelLoader
from ..results.base import Result
from ..storage.store import CorruptEntryError, Store

if TYPE_CHECKING:
    from ..models.loaded import LoadedModel

S = TypeVar("S", bound=Spec)
R = TypeVar("R", bound=Result)


@dataclass
class Session:
    """How a run runs (see the module docstring). Any field may be left out: the store defaults to
    ``Store()`` (``$CONCEPT_DEPTH_CACHE`` or ``./cache``), the model loader to one that keeps the last
    model it loaded."""

    store: Store = field(default_factory=Store)
    model_loader: Callable[[ModelSpec], "LoadedModel"] | None = None
    batch_size: int = 16
    device: str | None = None
    progress: ProgressCallback | None = None
    n_jobs: int | None = None
    data_dir: Any = None
    origin: str | None = None
    _samples: dict[DatasetSpec, SampleSet] = field(default_factory=dict, repr=False)

    @property
    def loader(self) -> Callable[[ModelSpec], "LoadedModel"]:
        """ModelSpec -> LoadedModel, the model loaded once (only ever called on a cache miss)."""
        if self.model_loader is None:
            self.model_loader = OneModelLoader(self.device, self.store.directory, self.progress)
        return self.model_loader

    def samples(self, dataset: DatasetSpec) -> SampleSet:
        """The samples of ``dataset``, loaded once per session."""
        if dataset not in self._samples:
            self._samples[dataset] = load_samples(dataset, data_dir=self.data_dir, cache_dir=self.store.directory)
        return self._samples[dataset]

    def use_samples(self, dataset: DatasetSpec, samples: SampleSet) -> None:
        """Use ready ``samples`` for ``dataset`` (a caller that loaded or changed them itself)."""
        self._samples[dataset] = samples

    def activation_key(self, extraction: ExtractionSpec, samples: SampleSet | None = None) -> str:
        return activation_key_for(extraction, samples or self.samples(extraction.dataset), self.store.directory)

    def fingerprint(self, model: ModelSpec) -> str:
        """The weights' identity (hub revision or a hash of the files), without loading them."""
        return fingerprint_for(model, self.store.directory)

    def extract(self, extraction: ExtractionSpec, samples: SampleSet | None = None) -> Activations:
        """The layer vectors of ``extraction`` (from the cache when they are there). A model is loaded only
        on a miss, by the session's loader once :attr:`loader` was asked for (an analysis that extracts
        several times or runs the model itself asks first), else by extraction's own."""
        return extract_activations(extraction, store=self.store, samples=samples or self.samples(extraction.dataset),
                                   model_loader=self.model_loader, batch_size=self.batch_size, device=self.device,
                                   progress=self.progress)

    def run(self, analysis: "Analysis", spec: Spec, *, origin: str | None = None) -> Result:
        """Another analysis on the way (the expression analysis' probe run), in this session."""
        return run_analysis(analysis, spec, session=self, origin=origin)


@dataclass(frozen=True)
class Analysis(Generic[S, R]):
    """The declaration of one analysis (see the module docstring).

    kind : the store's result kind (``run``, ``expression``, ``transfer``, ``directions``, ``steer``).
    command : the command line's sub-command and the notebook function (``run``, ``expression``...).
    spec : the spec class (``take_options`` / ``from_options`` build it from option values).
    result : the result class (``from_dict``, ``KIND``, ``SCHEMA``).
    key : ``(spec, session) -> cache key``; computes no model output (it may load the samples).
    compute : ``(spec, session, key) -> result``; runs the model through the session.
    report : ``(result, **view) -> text`` the command prints (``view``: the ``view`` options' values).
    options : the option groups the command and the notebook function take, spec options first.
    listed : options that take a comma list (``transfer``'s datasets, ``directions``' bit widths).
    view : options of the report and the figure only (``transfer --layer``); not spec fields.
    batch_size : the default prompts per forward pass of this analysis.
    also_listed : other result kinds :meth:`list` returns too (runs: imported ones).
    origin : the origin of a result the user asked for directly (default: ``kind``; probe runs: ``probe``).
    """

    kind: str
    command: str
    spec: type[S]
    result: type[R]
    key: Callable[[S, Session], str]
    compute: Callable[[S, Session, str], R]
    report: Callable[..., str]
    options: tuple[OptionGroup, ...]
    help: str
    description: str = ""
    listed: tuple[str, ...] = ()
    view: OptionGroup | None = None
    batch_size: int = 16
    figure: str = "the figure"
    figure_size: tuple[float, float] = (6.5, 4.5)
    also_listed: tuple[str, ...] = ()
    origin: str = ""

    @property
    def own_origin(self) -> str:
        return self.origin or self.kind

    def load(self, store: Store, key: str) -> R | None:
        """The stored result ``key`` of this kind, or None; a stored entry that no longer reads as
        one is damaged (CorruptEntryError, so it is computed again)."""
        for kind in (self.kind, *self.also_listed):
            data = store.get_result(kind, key)
            if data is not None:
                try:
                    return self.result.from_dict(data)
                except Exception as exc:  # noqa: BLE001 - any unreadable entry is a damaged one
                    if kind != self.kind:
                        return None
                    raise CorruptEntryError(f"stored {self.kind} {key} does not read as one: {exc}") from None
        return None

    def list(self, store: Store) -> list[R]:
        """Every stored result of this kind (and ``also_listed`` kinds), newest first; unreadable ones skipped."""
        out = []
        for kind in (self.kind, *self.also_listed):
            for data in store.list_results(kind):
                try:
                    out.append(self.result.from_dict(data))
                except Exception:  # noqa: BLE001 - a malformed entry is skipped, never shown
                    continue
        return sorted(out, key=lambda r: r.created_ts, reverse=True)


def run_analysis(analysis: Analysis[S, R], spec: S, *, session: Session | None = None, origin: str | None = None,
                 **run_options: Any) -> R:
    """The result of ``spec``: from the store when it is there, else computed once and stored.

    ``session`` (or ``run_options``, the fields of :class:`Session`) says how to run. ``origin`` is who
    asks (default: the session's, else the analysis' own kind); a stored result that an analysis made
    on the way (origin ``expression``) becomes the user's own when the user asks for it directly.
    """
    if not isinstance(spec, analysis.spec):
        raise TypeError(f"{analysis.command} takes a {analysis.spec.__name__}, not {type(spec).__name__}")
    session = session or Session(**{"batch_size": analysis.batch_size, **run_options})
    asked = origin or session.origin or analysis.own_origin
    key = analysis.key(spec, session)
    store = session.store

    def compute() -> R:
        return analysis.compute(spec, session, key).with_origin(asked)

    result, hit = store.memoize(analysis.kind, key, compute, read=lambda: analysis.load(store, key),
                                write=lambda r: store.put_result(analysis.kind, key, r.to_dict()))
    if hit and asked == analysis.own_origin and result.origin not in (asked, "import"):
        # the user asked for it now: it is theirs, no longer a by-product of another analysis
        result = result.with_origin(asked)
        store.put_result(analysis.kind, key, result.to_dict())
    return result.as_cached() if hit else result


def model_specs(spec: Any) -> list[ModelSpec]:
    """Every ModelSpec inside ``spec`` (its extraction's, or each of several extractions'), in order."""
    return specs_within(spec, ModelSpec)


__all__ = ["Session", "Analysis", "run_analysis", "model_specs"]
