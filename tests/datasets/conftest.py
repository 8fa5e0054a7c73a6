"""Dataset tests never download: any fetch fails, and the cache is a fresh temporary folder."""

from __future__ import annotations

import pytest

from concept_depth.datasets import sources


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    def refuse(url, timeout=0):
        raise OSError(f"network disabled in tests ({url})")
    monkeypatch.setattr(sources, "fetch", refuse)
    monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(tmp_path / "cache"))
