"""The app's side of issue 10: models within a memory budget (item 8), names escaped and imports validated (item 2),
a cache folder removed while the server runs (item 4), bound to 127.0.0.1 (item 7)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ui.model_cache import BUDGET_ENV, ModelCache, default_budget, model_bytes

GB = 2**30


class Fake:
    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size


def _cache(budget: int) -> tuple[ModelCache, list[str]]:
    loads: list[str] = []
    return ModelCache(budget, size_of=lambda m: m.size), loads


def _loader(loads: list[str], name: str, size: int):
    def load():
        loads.append(name)
        return Fake(name, size)
    return load


def test_several_small_models_stay_loaded_together():
    cache, loads = _cache(10 * GB)
    for _ in range(3):  # two sessions alternating between their models
        cache.get("a", _loader(loads, "a", 2 * GB))
        cache.get("b", _loader(loads, "b", 3 * GB))
    assert loads == ["a", "b"] and cache.used_bytes == 5 * GB


def test_least_recently_used_goes_first_when_the_budget_is_full():
    cache, loads = _cache(10 * GB)
    cache.get("a", _loader(loads, "a", 4 * GB))
    cache.get("b", _loader(loads, "b", 4 * GB))
    cache.get("a", _loader(loads, "a", 4 * GB))  # a used last: b is now the oldest
    cache.get("c", _loader(loads, "c", 4 * GB))
    assert cache.keys() == ["a", "c"] and cache.used_bytes <= 10 * GB
    cache.get("b", _loader(loads, "b", 4 * GB))  # known size: makes room before loading again
    assert cache.keys() == ["c", "b"] and loads == ["a", "b", "c", "b"]


def test_a_model_larger_than_the_budget_still_loads_alone():
    cache, loads = _cache(1 * GB)
    cache.get("small", _loader(loads, "small", GB // 2))
    big = cache.get("big", _loader(loads, "big", 5 * GB))
    assert big.name == "big" and cache.keys() == ["big"]


def test_concurrent_sessions_load_one_model_once():
    cache, loads = _cache(10 * GB)

    def slow():
        time.sleep(0.2)
        loads.append("a")
        return Fake("a", GB)

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("a", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["a"] and len({id(m) for m in got}) == 1


def test_budget_from_environment_else_available_memory(monkeypatch):
    monkeypatch.setenv(BUDGET_ENV, "3")
    assert default_budget() == 3 * GB
    monkeypatch.setenv(BUDGET_ENV, "lots")
    assert default_budget() >= GB  # a bad value is ignored (with a warning), the default applies
    monkeypatch.delenv(BUDGET_ENV)
    assert default_budget() >= GB


def test_model_bytes_counts_weights(tiny_models):
    lm = tiny_models("llama")
    expected = sum(p.numel() * p.element_size() for p in lm.model.parameters())
    assert model_bytes(lm) >= expected > 0


@pytest.mark.parametrize("text", ["[x](http://evil.example)", "![img](http://evil.example/a.png)", "<b>x</b>",
                                  ":red[x]", "$x^2$", "`code`", "**bold**"])
def test_names_are_escaped_for_markdown(text):
    from ui.text import escape_markdown

    out = escape_markdown(text)
    for ch in "[]()<>`*$:":
        assert ch not in out.replace("\\" + ch, "")
    assert out.replace("\\", "") == text


REPO = Path(__file__).resolve().parents[2]


def test_runs_page_survives_its_cache_folder_being_removed(set_env, tmp_path, open_page, make_run):
    """Item 4: the cached Store object heals itself; the page shows no 'unable to open database file'."""
    import shutil

    from concept_depth.storage.store import Store

    cache = tmp_path / "cache"
    set_env(cache)
    at = open_page("app_pages/runs.py")
    assert not at.exception
    shutil.rmtree(cache)  # removed while the server holds its Store object
    at = open_page("app_pages/runs.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("No cached runs" in i.value for i in at.info)
    good = make_run(key="after-removal").to_json().encode()
    at.file_uploader(key="import_files").set_value([("good.json", good, "application/json")]).run()
    at.button(key="import").click().run()
    assert any("imported good.json" in s.value for s in at.success)
    assert [r["key"] for r in Store(cache).list_results("import")] == ["import-after-removal"]  # landed on disk


def test_runs_page_escapes_imported_names_and_reports_crafted_files(set_env, tmp_path, open_page, make_run):
    """Item 2: a name with a markdown link/image is shown literally; a NaN peak is refused, the page keeps working."""
    set_env(tmp_path / "cache")
    evil = make_run(key="evil", dataset="[click](http://evil.example) ![x](http://evil.example/p.png)")
    nan = make_run(key="nan").to_json().replace('"chance": 0.5', '"chance": NaN')
    at = open_page("app_pages/runs.py")
    at.file_uploader(key="import_files").set_value([("evil.json", evil.to_json().encode(), "application/json"),
                                                   ("nan.json", nan.encode(), "application/json")]).run()
    at.button(key="import").click().run()
    assert not at.exception
    [ok] = [s.value for s in at.success]
    assert "\\[click\\]\\(http\\://evil.example\\)" in ok and "\\!\\[x\\]" in ok
    assert any(e.value.startswith("nan.json") and "NaN" in e.value for e in at.error)
    at = open_page("app_pages/runs.py")  # the imported run renders; Delete stays reachable
    assert not at.exception and at.button(key="delete")


def test_the_app_binds_to_localhost_and_the_readme_says_how_to_serve_a_lab():
    """Item 7."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Serving a lab safely", 1)[1].split("\n## ", 1)[0]
    assert "ssh -N -L 8501:127.0.0.1:8501" in section and "authentication" in section and "Never expose" in section
