"""Models side by side: the grid runs once (cached runs skipped), its table, figures, CLI and API."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

import concept_depth as cd
from concept_depth.analyses.probe import list_runs
from concept_depth.cli.main import main
from concept_depth.storage.store import Store
from concept_depth.workflows.families import TABLE_COLUMNS, compare_models, depth_row, stored_runs
from concept_depth.workflows.sweeps import plan_sweep

GRID = dict(model="tiny:llama,tiny:gpt2", dataset="builtin-coinflip,builtin-capitals", limit=20, no_control=True)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The 2 x 2 grid computed once: (store, items, comparison)."""
    store = Store(tmp_path_factory.mktemp("grid-cache"))
    items = plan_sweep(**GRID)
    assert stored_runs(items, list_runs(store)) == [None] * 4  # nothing there yet
    return store, items, compare_models(items, store=store)


def test_the_grid_runs_each_pair_once_then_comes_from_the_cache(grid):
    store, items, comparison = grid
    assert not comparison.failures and len(comparison.runs) == 4
    assert [(r.spec["model"], r.spec["dataset"]) for r in comparison.runs] == [
        ("tiny:llama", "builtin-coinflip"), ("tiny:llama", "builtin-capitals"),
        ("tiny:gpt2", "builtin-coinflip"), ("tiny:gpt2", "builtin-capitals")]
    assert not any(r.timing["cached"] for r in comparison.runs)
    found = stored_runs(items, list_runs(store))
    assert [r.key for r in found] == [r.key for r in comparison.runs]  # found by settings, no key computed
    again = compare_models(items, store=store, model_loader=lambda spec: pytest.fail("a model was loaded"))
    assert all(r.timing["cached"] for r in again.runs)


def test_stored_runs_match_every_setting_that_changes_the_numbers(grid):
    store, items, _ = grid
    runs = list_runs(store)
    for changed in (dict(limit=24), dict(quant=8), dict(chat_template=True), dict(no_control=False),
                    dict(jump_fraction=0.7), dict(pooling="mean")):
        other = plan_sweep(**dict(GRID, **changed))
        assert stored_runs(other, runs) == [None] * 4, changed
    # the Probe page names a built-in dataset's default variant, a grid does not: the same run
    named = [replace(r, spec=dict(r.spec, variant="seed=0")) for r in runs]
    assert [r.key for r in stored_runs(items, named)] == [r.key for r in stored_runs(items, runs)]
    assert stored_runs(items, [replace(r, spec=dict(r.spec, variant="seed=1")) for r in runs]) == [None] * 4
    imported = [replace(r, extra=dict(r.extra, origin="import")) for r in runs]
    assert stored_runs(items, imported) == [None] * 4  # an imported file is not a run computed here


def test_table_and_figures_of_the_grid(grid):
    _, _, comparison = grid
    rows = comparison.table()
    assert len(rows) == 4 and list(rows[0]) == list(TABLE_COLUMNS)
    for row, run in zip(rows, comparison.runs):
        assert row["layers"] == run.n_layers and row["peak_accuracy"] == pytest.approx(run.depth.peak_accuracy, abs=1e-4)
        assert row["relative_peak"] == pytest.approx(row["peak_layer"] / run.n_layers, abs=1e-3)
    fig = comparison.figure()
    assert len(fig.layout.annotations) == 2  # one panel per dataset
    assert {t.name for t in fig.data if (t.meta or {}).get("role") == "metric"} == {"tiny random llama",
                                                                                     "tiny random gpt2"}
    heat = comparison.heatmap("peak_accuracy")
    assert heat.data[0].z.shape == (2, 2)  # one row per model


def test_depth_row_of_an_acquired_concept(make_run):
    row = depth_row(make_run(n_layers=18, jump=9, converge=12))
    assert (row["jumping_point"], row["converging_point"], row["layers"]) == (9, 12, 18)
    assert (row["relative_jumping"], row["relative_converging"]) == (0.5, pytest.approx(0.667))
    assert depth_row(make_run(jump=None, converge=None))["relative_jumping"] is None


def test_cli_families_prints_the_table_and_writes_it(grid, tmp_path, capsys):
    store, _, _ = grid
    out = tmp_path / "table.csv"
    code = main(["families", "--model", "tiny:llama,tiny:gpt2", "--dataset", "builtin-coinflip,builtin-capitals",
                 "--limit", "20", "--no-control", "--cache-dir", str(store.directory), "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.count("cached") == 4 and "rel jump" in printed and "tiny random gpt2" in printed
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and rows[0]["dataset"] == "builtin-coinflip"


def test_cli_families_draws_what_ran_and_reports_what_failed(grid, tmp_path, capsys):
    store, _, _ = grid
    code = main(["families", "--model", "tiny:llama", "--dataset", "builtin-coinflip,no-such-dataset", "--limit", "20",
                 "--no-control", "--cache-dir", str(store.directory), "--figure", str(tmp_path / "f.svg"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2  # the unknown dataset, reported at the end; the cached run is still drawn
    assert "no-such-dataset" in err and "1 of 2 runs failed" in err and (tmp_path / "f.svg").is_file()


def test_cli_families_checks_outputs_before_any_work(tmp_path, capsys):
    code = main(["families", "--model", "no/such-model", "--dataset", "builtin-coinflip", "--figure",
                 str(tmp_path / "fig.txt"), "--cache-dir", str(tmp_path / "c")])
    assert code == 2 and "--figure must end in .png, .svg or .pdf" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_api_families_is_the_cli_command(grid):
    store, _, comparison = grid
    got = cd.families(cache_dir=store.directory, progress=False, **GRID)
    assert [r.key for r in got.runs] == [r.key for r in comparison.runs]
    assert all(r.timing["cached"] for r in got.runs)
