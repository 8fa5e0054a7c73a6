"""run_probe caching, stored runs and per-sample predictions (extraction replaced by a fake)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from concept_depth.analyses import probe as pipeline
from concept_depth.analyses import protocol
from concept_depth.core.errors import BadInputError, UnavailableError
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, ProbeSpec, RunSpec
from concept_depth.datasets.sample_set import SampleSet
from concept_depth.storage.store import Store

N, L, D = 90, 4, 12


@dataclass(frozen=True)
class FakeActivations:
    key: str
    layers: tuple
    labels: np.ndarray
    prompts: tuple
    n_layers: int
    hidden_size: int
    spec: dict
    model_label: str
    cached: bool
    timing: dict = field(default_factory=dict)


def _samples() -> SampleSet:
    y = np.tile([0, 1], N // 2).astype(np.int64)
    return SampleSet(name="toy", category="factual", template="Q: {text}", texts=tuple(f"t{i}" for i in range(N)),
                     labels=y, label_names=("false", "true"))


def _features(y: np.ndarray) -> np.ndarray:
    """[N, L+1, D]: the signal grows with depth (layer 0 is pure noise)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, L + 1, D)).astype(np.float32)
    for layer in range(L + 1):
        X[:, layer, 0] += 1.2 * layer * (2 * y - 1)
    return X


@pytest.fixture
def fake_extract(monkeypatch):
    calls = {"extract": 0, "loader": 0}

    def extract_activations(spec, *, store, samples=None, model_loader=None, batch_size=16, device=None,
                            progress=None):
        from concept_depth.extraction.keys import activation_key_for

        key = activation_key_for(spec, samples, store.directory)
        if store.has_activations(key):
            meta = store.activation_meta(key)
            return FakeActivations(key, tuple(meta["layers"]), np.asarray(meta["labels"]), samples.prompts, L, D,
                                   spec.to_dict(), "Fake LM", True, {"load_s": 0.0, "extract_s": 0.0})
        if model_loader is not None:
            calls["loader"] += 1
            model_loader(spec.model)
        calls["extract"] += 1
        store.write_layers(key, _features(samples.labels), list(range(L + 1)),
                           {"spec": spec.to_dict(), "labels": samples.labels.tolist()})
        return FakeActivations(key, tuple(range(L + 1)), samples.labels, samples.prompts, L, D, spec.to_dict(),
                               "Fake LM", False, {"load_s": 1.5, "extract_s": 2.5, "prompts_per_s": 36.0})

    monkeypatch.setattr(protocol, "extract_activations", extract_activations)  # the one place analyses extract
    return calls


def _spec(**probe) -> RunSpec:
    ex = ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=DatasetSpec(name="toy"))
    return RunSpec(extraction=ex, probe=ProbeSpec(**probe))


def test_run_scores_cache_and_identical_rerun(tmp_path, fake_extract):
    store = Store(tmp_path)
    first = pipeline.run_probe(_spec(), store=store, samples=_samples(), n_jobs=1)
    assert first.timing["cached"] is False and first.timing["load_s"] == 1.5 and first.timing["probe_s"] >= 0
    assert first.n_samples == N and first.n_layers == L and first.hidden_size == D
    assert first.layer_numbers == [0, 1, 2, 3, 4]
    assert first.spec["model"] == "tiny:llama" and first.spec["prompt"] == "Q: {text}"
    assert first.spec["category"] == "factual" and first.spec["protocol"] == "paper"
    assert first.extra["activation_key"] and first.key == pipeline.run_key(
        first.extra["activation_key"], ProbeSpec(), _spec().depth, "toy")
    # The paper protocol's numbers are those of a direct scikit-learn fit on the stored layer.
    y = _samples().labels
    X_tr, X_te, y_tr, y_te = train_test_split(_features(y)[:, 2, :], y, test_size=0.4, random_state=42)
    assert first.layers[2].accuracy == LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te)
    assert first.depth.acquired and first.depth.peak_layer >= 2 and first.layers[0].accuracy < 0.75
    assert first.depth.definition["jump_fraction"] == 0.8

    def exploding_loader(spec):
        raise AssertionError("a cached rerun must not load a model")

    again = pipeline.run_probe(_spec(), store=store, samples=_samples(), model_loader=exploding_loader)
    assert again.timing["cached"] is True and fake_extract["extract"] == 1 and fake_extract["loader"] == 0
    a, b = first.to_dict(), again.to_dict()
    assert a.pop("timing") | {"cached": True} == b.pop("timing")
    assert json.dumps(a) == json.dumps(b)  # identical JSON apart from the cached flag
    third = pipeline.run_probe(_spec(), store=store, samples=_samples())
    assert third.to_json() == again.to_json()


def test_probe_settings_change_the_key_not_the_activations(tmp_path, fake_extract):
    store = Store(tmp_path)
    paper = pipeline.run_probe(_spec(), store=store, samples=_samples(), n_jobs=1)
    cv = pipeline.run_probe(_spec(protocol="cv", folds=3), store=store, samples=_samples(), n_jobs=1)
    assert paper.key != cv.key and fake_extract["extract"] == 1
    assert cv.timing["cached"] is False and cv.timing["activations_cached"] is True
    assert all(s.accuracy_std is not None for s in cv.layers) and cv.extra["n_eval"] == N
    assert cv.spec["folds"] == 3


def test_list_load_save_delete(tmp_path, fake_extract):
    store = Store(tmp_path)
    r1 = pipeline.run_probe(_spec(), store=store, samples=_samples(), n_jobs=1)
    r2 = pipeline.run_probe(_spec(seed=1), store=store, samples=_samples(), n_jobs=1)
    assert [r.key for r in pipeline.list_runs(store)] == [r2.key, r1.key]  # newest first
    assert pipeline.load_run(store, r1.key).to_json() == r1.to_json()
    imported = replace(r1, key="", extra={k: v for k, v in r1.extra.items() if k != "created_ts"})
    saved = pipeline.save_run(store, imported)
    assert saved.key.startswith("import-") and len(pipeline.list_runs(store)) == 3
    assert pipeline.list_runs(store)[0].key == saved.key
    pipeline.delete_run(store, r1.key)
    assert r1.key not in [r.key for r in pipeline.list_runs(store)]
    with pytest.raises(BadInputError):
        pipeline.load_run(store, r1.key)


def test_layer_predictions_match_the_run(tmp_path, fake_extract):
    store = Store(tmp_path)
    run = pipeline.run_probe(_spec(), store=store, samples=_samples(), n_jobs=1)
    pred = pipeline.layer_predictions(store, run, 3)
    assert pred.proba.shape == (N,) and pred.is_eval.sum() == run.extra["n_eval"] == 36
    assert pred.correct[pred.is_eval].mean() == pytest.approx(run.layers[3].accuracy)
    assert not pred.correct[~pred.is_eval].any()
    cv = pipeline.run_probe(_spec(protocol="cv", folds=3, control=False), store=store, samples=_samples(), n_jobs=1)
    assert pipeline.layer_predictions(store, cv, 1).is_eval.all()
    with pytest.raises(BadInputError):
        pipeline.layer_predictions(store, run, 99)
    store.delete_activations(run.extra["activation_key"])
    with pytest.raises(UnavailableError):
        pipeline.layer_predictions(store, run, 3)


def test_real_extraction_cached_rerun_loads_no_model_and_reads_no_layer(tmp_path, monkeypatch):
    """With the real extractor and a tiny model: the rerun is served from the store."""
    store = Store(tmp_path)
    ex = ExtractionSpec(model=ModelSpec(source="tiny:gpt2"), dataset=DatasetSpec(name="builtin-capitals", limit=30))
    spec = RunSpec(extraction=ex, probe=ProbeSpec(protocol="cv", folds=3))
    first = pipeline.run_probe(spec, store=store, n_jobs=1)
    assert first.timing["cached"] is False and first.spec["model_label"] and first.n_samples == 30
    assert first.spec["model_revision"]  # the fingerprint extraction resolved

    def no_model(_spec):
        raise AssertionError("cached rerun must not load a model")

    reads = {"n": 0}
    for name in ("read_layer", "read_all", "verify", "activation_meta", "read_chunks"):
        def counted(*args, _f=getattr(Store, name), **kwargs):
            reads["n"] += 1
            return _f(*args, **kwargs)
        monkeypatch.setattr(Store, name, counted)
    again = pipeline.run_probe(spec, store=store, model_loader=no_model)
    assert reads["n"] == 0  # the cached run result comes back before any layer vector is touched
    assert again.timing["cached"] is True
    assert again.to_dict() | {"timing": None} == first.to_dict() | {"timing": None}
    assert [r.key for r in pipeline.list_runs(store)] == [first.key]
