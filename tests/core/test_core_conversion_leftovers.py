"""Issue 22 item 16: a conversion killed with `kill -9` left a 240 MB temporary GGUF no command listed or cleared.

The assembled GGUF now lives in ``models/.gguf-source.tmp-<pid>/``, removed however the conversion
ends; if the process is killed, the folder names a process that is gone, so ``cache list`` shows
it and ``cache clear`` removes it (a conversion still running is never touched).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from concept_depth.core.errors import UnavailableError
from concept_depth.models import embedded
from concept_depth.storage.store import Store


@pytest.fixture
def fake_model(monkeypatch):
    """An embedded model whose package assembles a small fake GGUF."""
    module = types.ModuleType("fake_gguf_parts")
    module.MODEL_NAME = "fake.gguf"
    module.EXPECTED_SHA256 = "ab" * 32

    def assemble(target):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(b"GGUF" + b"\0" * 4096)
        return Path(target)

    module.assemble = assemble
    monkeypatch.setitem(sys.modules, "fake_gguf_parts", module)
    return embedded.EmbeddedModel(source="fakegguf", aliases=(), package="numpy", install="pip install numpy",
                                  label="fake", gguf_name="fake.gguf", assemble_module="fake_gguf_parts")


def test_the_assembled_gguf_lies_in_a_pid_folder_that_is_always_removed(fake_model, tmp_path, monkeypatch):
    seen = []

    def convert(gguf, target, **kwargs):
        seen.append(Path(gguf).parent)
        assert Path(gguf).is_file()
        raise UnavailableError("cannot read GGUF file fake.gguf")  # what a bad file or a cancel does

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    with pytest.raises(UnavailableError):
        fake_model.ensure_converted(tmp_path / "cache")
    [folder] = seen
    assert folder.parent == tmp_path / "cache" / "models" and folder.name.startswith(".gguf-source.tmp-")
    assert not folder.exists()
    store = Store(tmp_path / "cache")
    assert store.conversion_leftovers() == []  # a live process's folder would not be listed either
    killed = folder.with_name(".gguf-source.tmp-999999999")  # what kill -9 leaves
    killed.mkdir()
    (killed / "fake.gguf").write_bytes(b"GGUF")
    assert store.conversion_leftovers() == [killed] and store.converted_models() == {}
    store.clear()
    assert not killed.exists()
