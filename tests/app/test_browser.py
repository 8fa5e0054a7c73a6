"""One real-browser test: Debian's chromium (Playwright) against `streamlit run app.py`.

Runs a probe with the tiny random llama on a built-in dataset (next to a few hand-made runs:
jumping and converging point on one layer and on neighbouring layers, a sample-count twin, an
8-bit twin, an expression analysis's probe step) and a models x datasets grid of two tiny models
from the Compare page, opens every page, checks each draws a Plotly
chart and shows no exception box, and that no two labels of a chart overlap (annotations,
marker labels, legend entries, titles: their boxes as the browser lays them out), no label sits on a
marker or a drawn line, no colour-bar tick runs into its title, no legend repeats a piece in every entry,
no annotation sits on a plot's data area, no title runs off its figure and no button label or chip is
cut with an ellipsis (the ``chart_checks`` fixture). Saves a screenshot of each page into
test-artifacts/screenshots/ (git-ignored) to look at.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "test-artifacts" / "screenshots"
CHART = ".js-plotly-plot, [data-testid=stPlotlyChart]"

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (the test fails instead under CI=true)", allow_module_level=True)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser-cache")


@pytest.fixture(scope="module")
def server(tmp_path_factory, cache_dir, served_app):
    env = dict(os.environ, CONCEPT_DEPTH_CACHE=str(cache_dir), CONCEPT_DEPTH_TEST_MODELS="1",
               CONCEPT_DEPTH_QUICKSTART_MODEL="tiny:llama", OMP_NUM_THREADS="1")

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]

    with served_app(argv, cwd=REPO, env=env, log_path=tmp_path_factory.mktemp("logs") / "streamlit.log") as (url, _):
        yield url


def _settle(page, chart: bool = True) -> None:
    """Wait until the script run is over and (optionally) a chart is drawn."""
    page.wait_for_selector("[data-testid=stApp]", timeout=30_000)
    if chart:  # a chart in view (those in other tabs are hidden)
        page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                               ".some(e => e.getBoundingClientRect().width > 0)", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')"
                           " && !document.querySelector('[data-testid=stSkeleton]')", timeout=60_000)
    page.wait_for_timeout(800)  # let plotly finish its first paint


def _check(page, checks, name: str, chart: bool = True) -> None:
    """The page settled, no exception box, the app's navigation, a chart whose labels pass ``checks``
    (the ``chart_checks`` fixture), no text cut off; a screenshot of it."""
    _settle(page, chart)
    assert page.locator("[data-testid=stException]").count() == 0, f"exception box on {name}"
    # app.py's navigation (titles), not Streamlit's legacy pages/ listing (file names)
    nav = page.inner_text("[data-testid=stSidebarNav]")
    assert "Compare" in nav and "app" not in nav.split(), f"wrong navigation on {name}: {nav!r}"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # first, to look at what failed
    if chart:
        assert page.locator(CHART).count() >= 1, f"no chart on {name}"
        assert checks.labels_do_not_collide(page, name) > 0, f"no chart labels found on {name}"
    checks.nothing_cut_off(page, name)


def _seed_runs(cache_dir, make_run) -> None:
    """Hand-made runs (older than the browser's own probe run) that exercise the labels."""
    from dataclasses import replace

    from concept_depth.analyses.probe import RUN_KIND
    from concept_depth.storage.store import Store

    store = Store(cache_dir)
    jc = make_run(key="seed-jc", jump=4, converge=4)  # jumping and converging point on one layer
    runs = [jc,
            replace(make_run(key="seed-n400", jump=4, converge=4), n_samples=400, spec=dict(jc.spec, limit=400)),
            make_run(key="seed-adjacent", quant=8, jump=4, converge=5, shift=0.03),  # J and C on neighbours
            replace(make_run(key="seed-expression", dataset="STSA", category="emotional"),
                    extra={"origin": "expression"})]
    # a low-bit model is labelled as the loader labels it: "<model>, 8-bit"
    runs[2] = replace(runs[2], spec=dict(runs[2].spec, model_label="tiny:llama, 8-bit"))
    for i, run in enumerate(runs):  # stored as runs computed here (save_run would make them imports)
        run = replace(run, extra=dict(run.extra, created_ts=1.0e9 + i))
        store.put_result(RUN_KIND, run.key, run.to_dict())


def test_probe_then_every_page_renders_a_chart(server, cache_dir, make_run, chart_checks):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    _seed_runs(cache_dir, make_run)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            # Probe: the tiny model and a small sample limit come from query parameters.
            page.goto(f"{server}/probe?model=tiny:llama&dataset=builtin-coinflip&limit=40")
            _settle(page, chart=False)
            page.get_by_role("button", name="Run probe").click()
            page.wait_for_selector("[data-testid=stMetric]", timeout=120_000)
            _check(page, chart_checks, "probe")
            assert "Peak accuracy" in page.inner_text("body")
            for name, path in (("home", ""), ("layers", "layers"), ("compare", "compare"), ("runs", "runs"),
                               ("runs-j-equals-c", "runs?run=seed-jc"), ("runs-j-next-to-c", "runs?run=seed-adjacent")):
                page.goto(f"{server}/{path}")
                _check(page, chart_checks, name)
            body = page.inner_text("body")
            assert "J = 4" in body or page.locator(".textpoint text", has_text="J = 4").count() == 1
            # Home: the latest *probe* run is the browser's own, not the expression analysis's probe step
            page.goto(server)
            _settle(page)
            assert "Latest probe run: tiny random llama · builtin-coinflip" in page.inner_text("body")
            # Compare: the difference tab (8-bit against float32 clean, with its band) and the heatmaps
            page.goto(f"{server}/compare")
            _settle(page)
            for tab, name in (("Difference vs float32 clean", "compare-difference"), ("Heatmaps", "compare-heatmap")):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(800)
                _check(page, chart_checks, name)
            # Compare, the runs of one dataset (one model at two bit widths and two sample counts): the legend
            # names what differs, the model and dataset go to the title
            page.get_by_role("combobox", name="Dataset", exact=True).click()  # the overlay's dataset filter
            page.get_by_role("option", name="cities", exact=True).click()
            page.keyboard.press("Escape")
            _settle(page)
            page.get_by_role("tab", name="Curves").click()  # the legend of the overlaid curves
            page.wait_for_timeout(800)
            _check(page, chart_checks, "compare-cities")
            page.get_by_role("tab", name="Difference vs float32 clean").click()
            page.wait_for_timeout(800)
            _check(page, chart_checks, "compare-cities-difference")
            # Compare: the model-families grid from a link, its missing runs computed, then the paper's panels
            page.goto(f"{server}/compare?models=tiny:llama,tiny:gpt2&datasets=builtin-coinflip,builtin-capitals"
                      "&limit=40")
            _settle(page)
            page.get_by_role("button", name=re.compile(r"^Run the \d missing runs? and draw$")).click()
            page.wait_for_selector("button:has-text('All 4 runs are cached')", timeout=240_000)
            _settle(page)
            assert page.locator(".gtitle", has_text="one panel per dataset").count() == 1
            _check(page, chart_checks, "compare-families")
            page.get_by_role("tab", name="Heatmap", exact=True).click()
            page.wait_for_timeout(800)
            _check(page, chart_checks, "compare-families-heatmap")
            # Beyond the paper: transfer between datasets and steering, run on the tiny model, no label overlaps
            page.goto(f"{server}/beyond?model=tiny:llama&limit=40")
            _settle(page, chart=False)
            page.get_by_role("button", name="Run transfer").click()
            page.wait_for_selector(CHART, timeout=120_000)
            _settle(page)
            _check(page, chart_checks, "beyond-transfer")
            page.get_by_role("tab", name="Steering").click()
            page.get_by_role("button", name="Run steering").click()
            page.wait_for_selector(".gtitle:has-text('Steering along')", timeout=180_000)
            _settle(page)
            _check(page, chart_checks, "beyond-steering")
            # Layers: a grid of chosen layers on one shared basis (long title, per-panel shares)
            page.goto(f"{server}/layers")
            _settle(page)
            page.get_by_text("grid of chosen layers").click()
            _settle(page)
            page.get_by_text("One PCA basis for all layers").click()
            _settle(page)
            _check(page, chart_checks, "layers-grid")
            # Cognition vs expression: run the analysis on the same tiny model, then expect its charts.
            page.set_viewport_size({"width": 1400, "height": 3800})  # the page's four figures in one screenshot
            page.goto(f"{server}/expression?model=tiny:llama&dataset=builtin-coinflip")
            _settle(page, chart=False)
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_selector(CHART, timeout=120_000)
            _check(page, chart_checks, "expression")
            assert "logit lens" in page.inner_text("body").lower()
            page.set_viewport_size({"width": 1400, "height": 2200})
            # a figure downloads as SVG, rendered by kaleido when the button is clicked
            page.goto(f"{server}/runs")
            _settle(page)
            page.get_by_role("button", name="Download", exact=True).first.click()
            with page.expect_download(timeout=180_000) as dl:  # kaleido starts its chromium on first use
                page.get_by_role("button", name="SVG").first.click()
            svg = Path(dl.value.path()).read_bytes()
            assert b"<svg" in svg[:400] and b"Accuracy" in svg
            # the PNG carries its DPI (300 by default), so a document places it at its size in inches
            with page.expect_download(timeout=180_000) as dl:  # kaleido starts its chromium on first use
                page.get_by_role("button", name="PNG").first.click()
            from PIL import Image

            png = Image.open(dl.value.path())
            assert png.info.get("dpi") == pytest.approx((300, 300), abs=0.5) and png.size == (1950, 1200)
            # the play-through view of the Layers page has a play button
            page.goto(f"{server}/layers")
            _settle(page)
            page.get_by_text("play through all layers").click()
            page.wait_for_selector(".updatemenu-button", timeout=30_000)
            _check(page, chart_checks, "layers-animation")
        finally:
            browser.close()
