import numpy as np
import pytest

from concept_depth.figures import depth_heatmap, fit_pca, pca_animation, pca_grid, pca_scatter, project_layers
from concept_depth.figures.pca import shared_basis
from concept_depth.figures.scatter import WRONG_NAME


def _data(n=40, d=12, seed=0):
    rng = np.random.RandomState(seed)
    labels = np.array([0, 1] * (n // 2))
    x = rng.randn(n, d).astype(np.float32)
    x[:, 0] += 4 * labels  # the concept lies along dimension 0
    return x, labels


def test_pca_matches_sklearn_and_orients_class_one_positive():
    from sklearn.decomposition import PCA

    x, labels = _data()
    p = fit_pca(x, labels)
    ref = PCA(2).fit(x)
    assert p.explained == pytest.approx(ref.explained_variance_ratio_, rel=1e-4)
    assert p.coords[labels == 1, 0].mean() > p.coords[labels == 0, 0].mean()
    # wide data (D > N) goes through the Gram matrix and still matches
    xw = np.random.RandomState(1).randn(10, 50).astype(np.float32)
    assert fit_pca(xw).explained == pytest.approx(PCA(2).fit(xw).explained_variance_ratio_, rel=1e-4)


def test_shared_basis_is_the_same_for_every_layer():
    x, labels = _data()
    layers = {0: x, 1: x * 3 + 1, 2: np.random.RandomState(2).randn(*x.shape).astype(np.float32)}
    projs = project_layers(layers, labels, shared=True)
    assert np.allclose(np.abs(projs[0].components), np.abs(projs[2].components))
    per = project_layers(layers, labels, shared=False)
    assert not np.allclose(np.abs(per[0].components), np.abs(per[2].components))
    assert shared_basis(list(layers.values())).shape == (2, x.shape[1])


def test_scatter_colours_by_label_marks_wrong_points_and_names_variance():
    x, labels = _data()
    proj = fit_pca(x, labels)
    proba = np.linspace(0, 1, len(labels))
    wrong = np.zeros(len(labels), bool)
    wrong[[1, 4, 7]] = True
    prompts = [f"prompt number {i}" for i in range(len(labels))]
    fig = pca_scatter(proj, labels, prompts=prompts, proba=proba, wrong=wrong, label_names=("false", "true"), layer=3)
    names = [t.name for t in fig.data]
    assert names == ["false", "true", WRONG_NAME]
    assert len(fig.data[0].x) + len(fig.data[1].x) == len(labels)
    wrong_trace = fig.data[2]
    assert len(wrong_trace.x) == 3 and wrong_trace.marker.symbol == "x-thin-open"
    assert wrong_trace.x[0] == pytest.approx(proj.coords[1, 0])
    assert "% of variance" in fig.layout.xaxis.title.text
    assert f"{100 * proj.explained[0]:.0f}%" in fig.layout.xaxis.title.text  # shares of 10% and more: whole %
    assert fig.data[1].customdata[0][0] == "prompt number 1"
    assert fig.data[1].customdata[0][1] == f"P(true) = {proba[1]:.2f}; confidence in the true label {proba[1]:.2f}"
    assert "%{customdata[1]}" in fig.data[1].hovertemplate
    # training samples (no held-out probability) say so instead of showing NaN
    proba[1] = np.nan
    fig = pca_scatter(proj, labels, prompts=prompts, proba=proba, label_names=("false", "true"))
    assert fig.data[1].customdata[0][1].startswith("training sample")


def test_animation_has_one_frame_per_layer_and_a_play_button():
    x, labels = _data()
    projs = project_layers({0: x, 2: x * 2, 4: x[:, ::-1].copy()}, labels)
    fig = pca_animation(projs, labels, start_layer=2)
    assert [f.name for f in fig.frames] == ["0", "2", "4"]
    assert fig.layout.sliders[0].active == 1
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    # each frame carries the same traces (classes + wrong) and its own variance titles
    assert all(len(f.data) == 3 for f in fig.frames)
    assert "% of variance" in fig.frames[2].layout.xaxis.title.text


def test_grid_draws_one_panel_per_chosen_layer():
    x, labels = _data()
    projs = project_layers({l: x + l for l in range(6)}, labels)
    fig = pca_grid(projs, labels, layers=[1, 3, 5], cols=2, shared_basis=True)
    assert len(fig.layout.annotations) == 3
    assert fig.layout.annotations[1].text.startswith("layer 3")
    assert len(fig.data) == 3 * 3
    assert "shared" in fig.layout.title.text


def test_a_layer_where_every_vector_is_the_same_says_so_where_it_is_drawn():
    x, labels = _data()
    same = np.repeat(x[:1], len(x), axis=0)  # e.g. layer 0 when every prompt ends in one token
    proj = fit_pca(same, labels)
    assert proj.degenerate and not fit_pca(x, labels).degenerate
    fig = pca_scatter(proj, labels, layer=0)
    assert "one dot" in fig.layout.title.text and "no variance" in fig.layout.xaxis.title.text
    assert "0%" not in fig.layout.xaxis.title.text
    grid = pca_grid({0: proj, 1: fit_pca(x, labels)}, labels, cols=2)
    assert grid.layout.annotations[0].text == "layer 0 · one point"
    assert "one dot" in grid.layout.title.text
    anim = pca_animation({0: proj, 1: fit_pca(x, labels)}, labels, title="Gemma 3 270M · cities · 32-bit")
    assert "one dot" in anim.frames[0].layout.title.text and "one dot" not in anim.frames[1].layout.title.text


def test_small_variance_shares_are_never_printed_as_zero_percent():
    from concept_depth.figures.scatter import share

    assert [share(v) for v in (0.42, 0.034, 0.0027, 0.00001, 0.0)] == ["42%", "3.4%", "0.27%", "<0.01%", "0%"]
    x, labels = _data(d=40)
    layers = {0: x, 1: np.random.RandomState(5).randn(*x.shape).astype(np.float32) * 50}
    projs = project_layers(layers, labels, shared=True)
    grid = pca_grid(projs, labels, shared_basis=True, title="a long run name · cities · 32-bit · n=200")
    assert all("0% / 0%" not in a.text for a in grid.layout.annotations)
    # the title is short lines (the name, then the basis in small type): it is never cut off
    lines = grid.layout.title.text.split("<br>")
    assert lines[0] == "a long run name · cities · 32-bit · n=200" and all(len(l) < 110 for l in lines)


def test_play_through_title_names_the_run_and_the_layer():
    x, labels = _data()
    projs = project_layers({0: x, 2: x * 2}, labels)
    fig = pca_animation(projs, labels, title="Gemma 3 270M · cities · 32-bit")
    assert fig.layout.title.text == "Gemma 3 270M · cities · 32-bit: layer 0"
    assert fig.frames[1].layout.title.text == "Gemma 3 270M · cities · 32-bit: layer 2"


def test_hover_shows_the_sample_text_wrapped_not_cut_to_the_instruction():
    x, labels = _data()
    text = "The city of Kyoto is in Japan. " * 3
    fig = pca_scatter(fit_pca(x, labels), labels, prompts=[text] * len(labels))
    shown = fig.data[0].customdata[0][0]
    assert "<br>" in shown and shown.replace("<br>", " ").startswith("The city of Kyoto is in Japan.")


def test_heatmap_orders_datasets_by_category_and_handles_unacquired(make_run):
    runs = [
        make_run(model="m1", dataset="coinflip", category="inferential", n_layers=10, jump=5),
        make_run(model="m1", dataset="STSA", category="emotional", n_layers=10, jump=4),
        make_run(model="m1", dataset="cities", category="factual", n_layers=10, jump=2),
        make_run(model="m2", dataset="cities", category="factual", n_layers=20, jump=None, converge=None),
        make_run(model="m2", dataset="mine", category="custom", n_layers=20, jump=10),
    ]
    fig = depth_heatmap(runs, value="jumping_point", relative=True)
    hm = fig.data[0]
    assert hm.meta["datasets"] == ["cities", "STSA", "coinflip", "mine"]
    assert hm.meta["models"] == ["m1", "m2"]
    z = np.array(hm.z, dtype=float)
    assert z[0, 0] == pytest.approx(0.2) and z[0, 1] == pytest.approx(0.4) and z[1, 3] == pytest.approx(0.5)
    assert np.isnan(z[1, 0]) and hm.text[1][0] == "–"
    assert np.isnan(z[1, 1]) and hm.text[1][1] == ""  # no run
    peak = depth_heatmap(runs, value="peak_accuracy").data[0]
    assert peak.z[0][0] == pytest.approx(runs[2].depth.peak_accuracy)
    with pytest.raises(ValueError):
        depth_heatmap(runs, value="nope")
