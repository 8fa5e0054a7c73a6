"""Issue 22 item 16: the free-space check ran after the model loaded (and, for the embedded model,
after a minute of conversion). For a model whose size is known without loading it, it now runs first."""

from __future__ import annotations

from collections import namedtuple

import pytest

from concept_depth.core.errors import UnavailableError
from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec
from concept_depth.extraction import extract_activations
from concept_depth.storage import store as store_module

Usage = namedtuple("Usage", "total used free")


def test_a_full_disk_is_said_before_the_model_is_loaded(store, make_samples, monkeypatch):
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 4096, 4096))
    loads = []

    def loader(spec):
        loads.append(spec)
        raise AssertionError("the model was loaded before the free-space check")

    spec = ExtractionSpec(model=ModelSpec(source="embedded"), dataset=DatasetSpec(name="toy"))
    with pytest.raises(UnavailableError) as info:
        extract_activations(spec, store=store, samples=make_samples(), model_loader=loader)
    assert loads == [] and "free" in str(info.value) and len(str(info.value).splitlines()) == 1
