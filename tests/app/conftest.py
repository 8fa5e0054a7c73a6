"""Fixtures of the app tests: environment, AppTest pages, chart contents, cached tiny runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def set_env(monkeypatch):
    """``set_env(cache)``: the app reads ``cache``, shows tiny test models and quick-starts on tiny:llama."""

    def apply(cache: Path) -> None:
        monkeypatch.setenv("CONCEPT_DEPTH_CACHE", str(cache))
        monkeypatch.setenv("CONCEPT_DEPTH_TEST_MODELS", "1")
        monkeypatch.setenv("CONCEPT_DEPTH_QUICKSTART_MODEL", "tiny:llama")
        monkeypatch.chdir(REPO)
    return apply


def _open_page(page: str | None = None, timeout: float = 90) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture
def open_page():
    """``open_page(page=None)``: run app.py (navigation included), then switch to ``page``."""
    return _open_page


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.fixture
def charts():
    """``charts(at)``: the figures of every st.plotly_chart on the page, as plotly JSON dicts."""
    return _charts


def _pick_tiny(at: AppTest, model: str = "tiny:llama", limit: int = 40, limit_key: str = "limit") -> AppTest:
    at.selectbox(key="model_choice").select(f"{model} (random test model)").run()
    at.selectbox(key="dataset_Built-in (no download)").set_value("builtin-coinflip").run()
    at.number_input(key=limit_key).set_value(limit)
    return at


@pytest.fixture
def pick_tiny():
    """``pick_tiny(at, model="tiny:llama", limit=40, limit_key="limit")``: a tiny random model on
    builtin-coinflip at ``limit`` samples, picked on the Probe or expression page (not run)."""
    return _pick_tiny


@pytest.fixture
def trace_names():
    """``trace_names(fig)``: the trace names of a plotly JSON figure."""
    return lambda fig: [t.get("name", "") for t in fig.get("data", [])]


def _make_runs(cache: Path) -> list:
    from concept_depth.analyses.probe import run_probe
    from concept_depth.core.specs import DatasetSpec, ExtractionSpec, ModelSpec, NoiseSpec, RunSpec
    from concept_depth.storage.store import Store

    store = Store(cache)
    out = []
    for noise in ("none", "paper"):
        ds = DatasetSpec(name="builtin-coinflip", limit=40, noise=NoiseSpec(kind=noise))
        out.append(run_probe(RunSpec(extraction=ExtractionSpec(model=ModelSpec(source="tiny:llama"), dataset=ds)),
                             store=store))
    return out


@pytest.fixture(scope="session")
def make_runs():
    """``make_runs(cache)``: two tiny-model runs in ``cache``, float32 clean and paper noise."""
    return _make_runs


# ---- what the browser tests check on every chart -------------------------------------------------
# Every label Plotly draws, per chart, with the box the browser gave it; each chart's data areas; the marker
# boxes and the drawn lines (points along each line every 2 px, in page pixels); the colour bars' tick labels
# and titles; and the legend entries of the chart's data traces (not the keys to markers or the chance line).
_LABEL_BOXES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((plot, i) => {
  const box = el => { const r = el.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const labels = [];
  for (const [sel, kind] of [['.annotation-text', 'annotation'], ['.textpoint text', 'marker label'],
                             ['.legendtext', 'legend'], ['.gtitle', 'title'],
                             ['.g-xtitle text, .g-ytitle text', 'axis title']]) {
    plot.querySelectorAll(sel).forEach(el => {
      const b = box(el);
      if (b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0 && el.textContent.trim()) labels.push({kind, text: el.textContent.trim(), ...b});
    });
  }
  const areas = Array.from(plot.querySelectorAll('.nsewdrag')).map(box).filter(b => b.x1 - b.x0 > 0);
  const svg = plot.querySelector('.main-svg');
  const markers = Array.from(plot.querySelectorAll('.scatterlayer .points path.point')).map(box)
    .filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0);
  const lines = [];
  plot.querySelectorAll('.scatterlayer path.js-line').forEach(el => {
    const style = getComputedStyle(el);
    if (parseFloat(style.strokeWidth) <= 0 || style.stroke === 'none' || parseFloat(style.strokeOpacity) === 0
        || parseFloat(style.opacity) === 0) return;
    const len = el.getTotalLength(), m = el.getScreenCTM(), pts = [];
    for (let s = 0; s <= len; s += 2) {
      const p = el.getPointAtLength(s);
      pts.push([m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
    }
    lines.push(pts);
  });
  const colorbars = Array.from(plot.querySelectorAll('.colorbar')).map(cb => ({
    ticks: Array.from(cb.querySelectorAll('.cbaxis text')).filter(t => t.textContent.trim())
      .map(t => ({text: t.textContent.trim(), ...box(t)})),
    titles: Array.from(cb.querySelectorAll('.cbtitle text')).filter(t => t.textContent.trim())
      .map(t => ({text: t.textContent.trim(), ...box(t)}))}));
  const keyRoles = ['key', 'noise-key', 'chance', 'band', 'band-upper', 'interval', 'interval-upper', 'depth-label',
                    'depth-guide', 'style-key'];
  const legend = (plot._fullData || []).filter(t => t.showlegend !== false && t.name && t.visible !== false
      && !keyRoles.includes(((plot.data[t.index] || {}).meta || {}).role)).map(t => t.name);
  return {chart: i, labels, areas, figure: svg ? box(svg) : null, markers, lines, colorbars, legend};
})"""


def _overlap(a: dict, b: dict, tol: float = 1.0) -> bool:
    return min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tol and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > tol


def _crosses(label: dict, line: list, areas: list, tol: float = 1.0) -> bool:
    """Whether a drawn line passes through the label's box (shrunk by ``tol``). Only the line's points inside a
    data area count: Plotly clips a line to its plot area, so a part outside it (a diagonal from 0 on an axis
    starting at 0.3) is not drawn, though the path's geometry still runs there."""
    def inside(x, y, box):
        return box["x0"] - tol <= x <= box["x1"] + tol and box["y0"] - tol <= y <= box["y1"] + tol

    return any(label["x0"] + tol < x < label["x1"] - tol and label["y0"] + tol < y < label["y1"] - tol
               and any(inside(x, y, area) for area in areas) for x, y in line)


#: Label pieces: a legend entry's parts between " · ", ", " and ": ".
_PIECES = re.compile(r" · |, |: ")


def _shared_pieces(names: list[str]) -> set[str]:
    """The label pieces every legend entry repeats (what belongs in the title instead)."""
    if len(names) < 2:
        return set()
    pieces = [set(_PIECES.split(n)) for n in names]
    return set.intersection(*pieces)


def _labels_do_not_collide(page, name: str) -> int:
    """Fail when two labels of a chart overlap, a label sits on a marker or a drawn line, an annotation covers a
    data area, a title is cut off, a colour bar's tick label runs into its title, or every legend entry of a
    chart repeats the same piece. Returns how many labels were checked (so a caller can require some)."""
    problems, n = [], 0
    for chart in page.evaluate(_LABEL_BOXES):
        labels = chart["labels"]
        n += len(labels)
        where = f"chart {chart['chart']}"
        for i, a in enumerate(labels):
            for b in labels[i + 1:]:
                if _overlap(a, b):
                    problems.append(f"{where}: {a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
            if a["kind"] in ("annotation", "title") and any(_overlap(a, area) for area in chart["areas"]):
                problems.append(f"{where}: {a['kind']} {a['text']!r} sits on the data")
            if any(_overlap(a, m) for m in chart["markers"]):
                problems.append(f"{where}: {a['kind']} {a['text']!r} sits on a marker")
            if any(_crosses(a, line, chart["areas"]) for line in chart["lines"]):
                problems.append(f"{where}: {a['kind']} {a['text']!r} sits on a line")
            fig = chart["figure"]
            if a["kind"] == "title" and fig and (a["x0"] < fig["x0"] - 1 or a["x1"] > fig["x1"] + 1
                                                  or a["y0"] < fig["y0"] - 1):
                problems.append(f"{where}: title {a['text']!r} is cut off")
        for bar in chart["colorbars"]:
            for tick in bar["ticks"]:
                for head in bar["titles"]:
                    if _overlap(tick, head, tol=0.0):
                        problems.append(f"{where}: colour-bar tick {tick['text']!r} runs into its title {head['text']!r}")
        shared = _shared_pieces(chart["legend"])
        if shared:
            problems.append(f"{where}: every legend entry repeats {sorted(shared)} ({chart['legend']})")
    assert not problems, f"{name}: " + "; ".join(problems)
    return n


# Text that the page cut off with an ellipsis: button labels ("Down…") and multiselect chips.
_CUT_TEXT = """() => Array.from(document.querySelectorAll('[data-testid=stMain] button *, [data-testid=stMain] [data-baseweb=tag] *'))
  .filter(el => el.children.length === 0 && el.textContent.trim() && el.getBoundingClientRect().width > 0
          && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).textOverflow === 'ellipsis')
  .map(el => el.textContent.trim())"""


def _nothing_cut_off(page, name: str) -> None:
    cut = page.evaluate(_CUT_TEXT)
    assert not cut, f"{name}: text cut off with an ellipsis: {cut}"


@pytest.fixture(scope="session")
def chart_checks():
    """``chart_checks.labels_do_not_collide(page, name)`` (labels against each other, markers, lines, data areas,
    colour-bar titles; legends repeating a piece in every entry; titles cut off) and
    ``chart_checks.nothing_cut_off(page, name)`` (button labels and chips cut with an ellipsis), for a
    Playwright page."""
    return SimpleNamespace(labels_do_not_collide=_labels_do_not_collide, nothing_cut_off=_nothing_cut_off,
                           shared_pieces=_shared_pieces)
