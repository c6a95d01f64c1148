"""Pictures: every figure rendered to PNG and checked (size, axes, colours), with oracles for the data."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from vqtoolkit import Codebook, ParameterError
from vqtoolkit import plotting as vp

DPI = 100


def render(fig):
    """PNG bytes of ``fig`` as an (h, w, 3) uint8 array."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def check_png(fig, n_axes):
    img = render(fig)
    w, h = fig.get_size_inches() * DPI
    assert abs(img.shape[0] - h) <= 1 and abs(img.shape[1] - w) <= 1 and img.shape[2] == 3
    assert len(fig.axes) == n_axes
    assert img.std() > 5  # something was drawn
    return img


@pytest.fixture(scope="module")
def blobs100():
    rng = np.random.default_rng(0)
    centers = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2) * 10.0
    X = np.vstack([rng.normal(c, 0.8, size=(20, 2)) for c in centers])
    return X, centers


# ---------------------------------------------------------------- palette


def test_palette_starts_with_tab10_and_is_prefix_stable():
    from matplotlib.colors import to_rgb

    pal = vp.cluster_colors(150)
    assert np.allclose(pal[:10], [to_rgb(f"C{i}") for i in range(10)], atol=1 / 255)
    assert np.array_equal(vp.cluster_colors(40), pal[:40])
    assert np.array_equal(vp.cluster_colors(150), pal)  # deterministic, cached


def test_palette_100_colours_are_distinct_in_cielab():
    from scipy.spatial.distance import pdist
    from skimage.color import rgb2lab

    pal = vp.cluster_colors(100)
    lab = rgb2lab(pal[None])[0]
    assert np.allclose(vp._palette.rgb_to_lab(pal), lab, atol=0.05)  # our conversion vs scikit-image
    assert pdist(lab).min() > 10  # well above a just-noticeable difference (~2.3)
    assert np.unique(np.round(pal * 255).astype(int), axis=0).shape[0] == 100
    assert lab[:, 0].max() <= 92.5  # none vanishes on white


def test_label_colors_noise_is_grey():
    cols = vp.label_colors(np.array([0, 2, -1]))
    assert np.allclose(cols[0], vp.cluster_colors(1)[0])
    assert np.allclose(cols[1], vp.cluster_colors(3)[2])
    assert np.allclose(cols[2], vp.NOISE_COLOR)


def test_palette_rejects_too_many():
    with pytest.raises(ParameterError, match="exceeds the palette size"):
        vp.cluster_colors(10_000)


# ---------------------------------------------------------------- clusters


def test_plot_clusters_100_clusters_100_distinct_colours_in_png(blobs100):
    X, centers = blobs100
    cb = Codebook(100, init=centers, random_state=0).fit(X)
    fig = vp.plot_clusters(X, cb.labels_, codebook=cb)
    img = check_png(fig, 1)
    colours = np.unique(img.reshape(-1, 3), axis=0).astype(int)
    pal = np.round(vp.cluster_colors(100) * 255).astype(int)
    nearest = np.abs(colours[None, :, :] - pal[:, None, :]).max(axis=2).min(axis=1)
    assert (nearest <= 1).all(), "every one of the 100 cluster colours appears in the picture"
    assert len(fig.axes[0].collections) == 2  # observations + codewords


def test_plot_clusters_same_colour_for_same_cluster_across_runs():
    rng = np.random.default_rng(9)
    centers = rng.permutation(np.stack(np.meshgrid(np.arange(4), np.arange(4)), -1).reshape(-1, 2) * 20.0)
    X = np.vstack([rng.normal(c, 1.0, size=(30, 2)) for c in centers])
    runs = []
    for seed in (1, 2):
        cb = Codebook(16, n_init=5, random_state=seed).fit(X)
        fig = vp.plot_clusters(X, cb.labels_, codebook=cb, legend=False)
        runs.append((cb.codebook_, fig.axes[0].collections))
    (c1, f1), (c2, f2) = runs
    assert np.allclose(c1, c2)  # the same solution, numbered canonically
    for a, b in zip(f1, f2):
        assert np.array_equal(a.get_facecolors(), b.get_facecolors())


def test_plot_clusters_pca_projection_matches_sklearn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 6)) * [5, 3, 1, 1, 1, 1]
    labels = (X[:, 0] > 0).astype(int)
    fig = vp.plot_clusters(X, labels, codebook=np.vstack([X[labels == i].mean(0) for i in (0, 1)]))
    check_png(fig, 1)
    drawn = fig.axes[0].collections[0].get_offsets()
    ref = PCA(n_components=2).fit_transform(X)
    assert np.allclose(np.abs(drawn), np.abs(ref), atol=1e-8)
    assert fig.axes[0].get_xlabel().startswith("PC1")


@pytest.mark.parametrize("projection", ["isomap", "tsne"])
def test_plot_clusters_nonlinear_projections(projection):
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(m, 1.0, size=(20, 5)) for m in (0, 2, 4)])
    labels = np.repeat([0, 1, 2], 20)
    kwargs = {"max_iter": 250} if projection == "tsne" else {"n_neighbors": 8}
    fig = vp.plot_clusters(X, labels, codebook=np.vstack([X[labels == i].mean(0) for i in range(3)]),
                           projection=projection, projection_kwargs=kwargs)
    check_png(fig, 1)
    assert fig.axes[0].collections[0].get_offsets().shape == (60, 2)
    assert fig.axes[0].collections[1].get_offsets().shape == (3, 2)


def test_plot_clusters_projection_object_without_transform():
    class FirstTwo:
        def fit_transform(self, X):
            return X[:, :2] * 2

    X = np.arange(40.0).reshape(10, 4)
    fig = vp.plot_clusters(X, np.zeros(10, int), codebook=X[:1], projection=FirstTwo())
    assert np.allclose(fig.axes[0].collections[0].get_offsets(), X[:, :2] * 2)
    assert np.allclose(fig.axes[0].collections[1].get_offsets(), X[:1, :2] * 2)


def test_plot_clusters_3d_and_string_labels_and_codes_from_codebook():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    fig = vp.plot_clusters(X, np.where(X[:, 0] > 0, "right", "left"))
    check_png(fig, 1)
    assert fig.axes[0].name == "3d"
    C = np.array([[-1.0, 0, 0], [1.0, 0, 0]])
    fig = vp.plot_clusters(X, None, codebook=C, dims=2, projection=None)
    expected = vp.label_colors((X[:, 0] > 0).astype(int))
    assert np.allclose(fig.axes[0].collections[0].get_facecolors()[:, :3], expected)


def test_plot_clusters_subsamples_and_saves_png_and_svg(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(5000, 2))
    fig = vp.plot_clusters(X, np.zeros(5000, int), max_points=1000, path=tmp_path / "a.png")
    assert fig.axes[0].collections[0].get_offsets().shape == (1000, 2)
    assert Image.open(tmp_path / "a.png").size == tuple(np.round(fig.get_size_inches() * DPI).astype(int))
    vp.plot_clusters(X[:50], np.zeros(50, int), path=tmp_path / "sub" / "a.svg")
    assert (tmp_path / "sub" / "a.svg").read_text()[:200].lstrip().startswith("<?xml")


def test_plot_clusters_errors():
    X = np.zeros((10, 4))
    with pytest.raises(ParameterError, match=r"labels has shape \(3,\); expected \(10,\)"):
        vp.plot_clusters(X, [0, 1, 2])
    with pytest.raises(ParameterError, match="give labels, or a codebook"):
        vp.plot_clusters(X, None)
    with pytest.raises(ParameterError, match=r"codebook has shape \(2, 3\); expected \(n_codewords, 4\)"):
        vp.plot_clusters(X, np.zeros(10, int), codebook=np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="projection='umap' is not one of"):
        vp.plot_clusters(X, np.zeros(10, int), projection="umap")
    with pytest.raises(ParameterError, match="dims=4 must be 2 or 3"):
        vp.plot_clusters(X, np.zeros(10, int), dims=4)
    with pytest.raises(ParameterError, match="a 3-D plot needs an axes made with projection='3d'"):
        vp.plot_clusters(X[:, :3], np.zeros(10, int), ax=vp._common.new_figure((3, 3)).add_subplot())
    with pytest.raises(ParameterError, match=r"path='x.docx': cannot save a picture as '.docx'; the suffix "
                                             r"picks the format, one of .*\.pdf, .*\.png, .*\.svg"):
        vp.plot_clusters(X, np.zeros(10, int), path="x.docx")
    with pytest.raises(ParameterError, match="cannot save a picture as 'a file without suffix'"):
        vp.plot_clusters(X, np.zeros(10, int), path="picture")


# ---------------------------------------------------------------- codebooks


def test_plot_codebook_heatmap_feature_zscores_and_original_values():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"height_cm": rng.normal(170, 10, 300), "weight_kg": rng.normal(70, 5, 300),
                       "age": rng.normal(40, 12, 300)})
    cb = Codebook(4, random_state=0).fit(df)
    fig = vp.plot_codebook(cb)
    check_png(fig, 2)  # heatmap + colourbar
    ax = fig.axes[0]
    C = cb.codebook_
    assert np.allclose(ax.images[0].get_array(), (C - C.mean(0)) / C.std(0))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["height_cm", "weight_kg", "age"]
    assert [t.get_text() for t in ax.texts] == [f"{v:.3g}" for v in C.ravel()]
    assert ax.get_yticklabels()[0].get_text() == f"0 (n={cb.counts_[0]:.0f})"
    assert np.allclose(ax.get_yticklabels()[1].get_color()[:3], vp.cluster_colors(2)[1])
    fig = vp.plot_codebook(C, color_scale="global", feature_names=["a", "b", "c"])
    assert np.allclose(fig.axes[0].images[0].get_array(), C)


def test_plot_codebook_errors():
    with pytest.raises(ParameterError, match="feature_names has 1 entries; the codebook has 2 features"):
        vp.plot_codebook(np.ones((3, 2)), feature_names=["a"])
    with pytest.raises(ParameterError, match="color_scale='log' is not one of"):
        vp.plot_codebook(np.ones((3, 2)), color_scale="log")
    with pytest.raises(ParameterError, match=r"counts has shape \(2,\); expected \(3,\)"):
        vp.plot_codebook(np.ones((3, 2)), counts=[1, 2])


def test_plot_code_sequence_codes_from_codebook():
    from vqtoolkit import quantize

    rng = np.random.default_rng(6)
    M = rng.normal(size=(50, 13)).astype(np.float32)
    C = rng.normal(size=(8, 13))
    fig = vp.plot_code_sequence(M, codebook=C, frame_rate=100.0)
    check_png(fig, 3)  # features, code strip, colourbar
    strip = fig.axes[1].images[0].get_array()[0]
    assert np.allclose(strip, vp.cluster_colors(8)[quantize(M, C).codes])
    assert fig.axes[1].get_xlabel() == "time (s)"
    assert np.allclose(fig.axes[0].images[0].get_array(), M.T)


def test_plot_code_sequence_errors():
    M = np.zeros((5, 2))
    with pytest.raises(ParameterError, match="give codes, or a codebook"):
        vp.plot_code_sequence(M)
    with pytest.raises(ParameterError, match=r"codes has shape \(4,\).*expected \(5,\) integers"):
        vp.plot_code_sequence(M, [0, 1, 2, 3])
    with pytest.raises(ParameterError, match="frame_rate=-1 must be a positive number"):
        vp.plot_code_sequence(M, np.zeros(5, int), frame_rate=-1)


# ---------------------------------------------------------------- evaluation


def test_plot_k_selection_curves_and_result_object():
    ks = np.arange(2, 11)
    fig = vp.plot_k_selection(ks, {"distortion": 1.0 / ks, "BIC": (ks - 5.0) ** 2}, chosen_k=5)
    check_png(fig, 2)
    for ax in fig.axes:
        assert any(np.array_equal(np.asarray(line.get_xdata(), float), [5.0, 5.0]) for line in ax.lines)
    assert fig.axes[0].get_title().endswith("k = 5")
    fig = vp.plot_k_selection(SimpleNamespace(ks=ks, scores=-ks, k=7))
    check_png(fig, 1)
    assert np.allclose(fig.axes[0].lines[0].get_ydata(), -ks)
    with pytest.raises(ParameterError, match="curve 'criterion' has 2 values for 9 values of k"):
        vp.plot_k_selection(ks, [1, 2])
    with pytest.raises(ParameterError, match="cannot read k values and curve from SimpleNamespace"):
        vp.plot_k_selection(SimpleNamespace(foo=1))


def test_plot_confusion_counts_normalized_and_accuracy():
    M = np.array([[8, 2, 0], [1, 9, 0], [0, 3, 7]])
    fig = vp.plot_confusion(M, ["a", "b", "c"], normalize="true")
    check_png(fig, 2)
    ax = fig.axes[0]
    assert np.allclose(ax.images[0].get_array(), M / M.sum(1, keepdims=True))
    assert ax.get_title() == "accuracy 0.800 (24 of 30)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    fig = vp.plot_confusion({"matrix": M, "classes": ["x", "y", "z"]})
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y", "z"]
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(str(v) for v in M.ravel() if v)
    with pytest.raises(ParameterError, match=r"shape \(2, 3\); expected a square array"):
        vp.plot_confusion(np.ones((2, 3)))
    with pytest.raises(ParameterError, match="class_names has 2 entries for a 3 x 3 matrix"):
        vp.plot_confusion(M, ["a", "b"])
    with pytest.raises(ParameterError, match="normalize='all' is not one of"):
        vp.plot_confusion(M, normalize="all")


def _rates_from_scores(target, impostor):
    thr = np.sort(np.concatenate([target, impostor]))
    far = (impostor[None, :] >= thr[:, None]).mean(1)
    frr = (target[None, :] < thr[:, None]).mean(1)
    return far, frr


def test_equal_error_rate_hand_computed():
    assert vp.equal_error_rate([0.0, 0.5, 1.0], [1.0, 0.5, 0.0]) == pytest.approx(0.5)
    assert vp.equal_error_rate([0.1, 0.3], [0.3, 0.1]) == pytest.approx(0.2)


def test_plot_det_roc_auc_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    target, impostor = rng.normal(2, 1, 300), rng.normal(0, 1, 400)
    far, frr = _rates_from_scores(target, impostor)
    fig = vp.plot_det(far, frr, kind="both", labels=["mfcc"])
    check_png(fig, 2)
    auc = roc_auc_score(np.r_[np.ones(300), np.zeros(400)], np.r_[target, impostor])
    roc_label = fig.axes[1].get_legend().get_texts()[0].get_text()
    assert roc_label == f"mfcc (AUC {auc:.3f})"
    det_label = fig.axes[0].get_legend().get_texts()[0].get_text()
    assert det_label == f"mfcc (EER {100 * vp.equal_error_rate(far, frr):.1f}%)"
    fig = vp.plot_roc({"a": (far, frr), "b": SimpleNamespace(fpr=far, fnr=np.clip(frr * 1.2, 0, 1))})
    check_png(fig, 1)
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_plot_det_errors():
    with pytest.raises(ParameterError, match="far and frr must be rates in"):
        vp.plot_det([0.1, 2.0], [0.5, 0.5])
    with pytest.raises(ParameterError, match="far has 2 values but frr has 3"):
        vp.plot_det([0.1, 0.2], [0.5, 0.5, 0.1])
    with pytest.raises(ParameterError, match="kind='pr' is not one of"):
        vp.plot_det([0.1], [0.1], kind="pr")
    with pytest.raises(ParameterError, match="cannot read false-accept"):
        vp.plot_det(SimpleNamespace(a=1))


# ---------------------------------------------------------------- images


def test_plot_quantized_image_and_segmentation():
    from vqtoolkit.images import QuantizedImage

    rng = np.random.default_rng(8)
    img = rng.integers(0, 255, size=(40, 60, 3), dtype=np.uint8)
    q = QuantizedImage(img // 128 * 128, np.array([[0, 0, 0], [128, 128, 128.0]]),
                       np.zeros((40, 60), int), 1.0)
    check_png(vp.plot_quantized_image(img, q), 3)
    check_png(vp.plot_quantized_image(img, q.image), 2)
    seg = np.zeros((40, 60), int)
    seg[:, 30:] = 1
    truth = 1 - seg
    truth[:5, :5] = 1
    fig = vp.plot_segmentation(img[..., 0], seg, truth=truth)
    check_png(fig, 3)
    acc = np.mean(1 - seg == truth)
    assert fig.axes[1].get_title() == f"2 segments, pixel accuracy {acc:.3f}"
    with pytest.raises(ParameterError, match=r"segments has shape \(3, 3\)"):
        vp.plot_segmentation(img, np.zeros((3, 3), int))
    with pytest.raises(ParameterError, match="must be images of the same shape"):
        vp.plot_quantized_image(img, img[:5])


def test_plot_det_reads_evaluation_curves():
    ev = pytest.importorskip("vqtoolkit.evaluation")
    rng = np.random.default_rng(10)
    is_target = np.r_[np.ones(200, bool), np.zeros(300, bool)]
    score = np.r_[rng.normal(0, 1, 200), rng.normal(2, 1, 300)]  # distortion: lower = target
    det, roc = ev.det_points(is_target, score), ev.roc_points(is_target, score)
    a = vp.plot_det({"det": det, "roc": roc}, kind="det")
    texts = [t.get_text() for t in a.axes[0].get_legend().get_texts()]
    eer = ev.equal_error_rate(is_target, score).eer
    assert texts == [f"det (EER {100 * eer:.1f}%)", f"roc (EER {100 * eer:.1f}%)"]
    conf = ev.confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    fig = vp.plot_confusion(conf)
    assert fig.axes[0].get_title() == "accuracy 0.667 (2 of 3)"


# ---------------------------------------------------------------- file formats, ax= and fig=


def _inputs():
    rng = np.random.default_rng(11)
    X = np.vstack([rng.normal(m, 0.3, size=(30, 2)) for m in (0, 3, 6)])
    labels = np.repeat(np.arange(3), 30)
    C = np.array([[0.0, 0.0], [3.0, 3.0], [6.0, 6.0]])
    far, frr = _rates_from_scores(rng.normal(2, 1, 50), rng.normal(0, 1, 60))
    img = rng.integers(0, 255, size=(20, 30, 3), dtype=np.uint8)
    seg = np.zeros((20, 30), int)
    seg[:, 15:] = 1
    return SimpleNamespace(X=X, labels=labels, C=C, far=far, frr=frr, img=img, seg=seg,
                           M=rng.normal(size=(40, 5)), codes=rng.integers(0, 3, size=40))


# one call per single-axes picture: (function name, call taking ax= and path=)
SINGLE_AXES = {
    "plot_clusters": lambda d, **kw: vp.plot_clusters(d.X, d.labels, codebook=d.C, **kw),
    "plot_codebook": lambda d, **kw: vp.plot_codebook(d.C, **kw),
    "plot_k_selection": lambda d, **kw: vp.plot_k_selection([2, 3, 4], [3.0, 1.0, 0.9], chosen_k=3, **kw),
    "plot_confusion": lambda d, **kw: vp.plot_confusion(np.array([[5, 1], [2, 4]]), **kw),
    "plot_det": lambda d, **kw: vp.plot_det(d.far, d.frr, **kw),
    "plot_roc": lambda d, **kw: vp.plot_roc(d.far, d.frr, **kw),
    "plot_segmentation": lambda d, **kw: vp.plot_segmentation(d.img, d.seg, truth=1 - d.seg, **kw),
}
# several-axes pictures take fig= (an empty Figure or SubFigure)
MULTI_AXES = {
    "plot_code_sequence": lambda d, **kw: vp.plot_code_sequence(d.M, d.codes, **kw),
    "plot_quantized_image": lambda d, **kw: vp.plot_quantized_image(
        d.img, d.img // 128 * 128, codebook=[[0, 0, 0], [128, 128, 128]], **kw),
}


def test_every_plot_function_is_covered():
    public = {name for name in vp.__all__ if name.startswith("plot_")}
    assert public == set(SINGLE_AXES) | set(MULTI_AXES)


def test_save_formats_are_matplotlibs():
    from matplotlib.backend_bases import FigureCanvasBase

    assert set(vp.SAVE_FORMATS) == {f".{e}" for e in FigureCanvasBase.get_supported_filetypes()}
    assert {".png", ".pdf", ".svg", ".eps", ".jpg", ".tif"} <= set(vp.SAVE_FORMATS)


@pytest.mark.parametrize("name", sorted(SINGLE_AXES) + sorted(MULTI_AXES))
def test_every_function_writes_pdf(name, tmp_path):
    call = {**SINGLE_AXES, **MULTI_AXES}[name]
    out = tmp_path / "deep" / f"{name}.PDF"  # suffixes are case-insensitive; folders are made
    fig = call(_inputs(), path=out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(fig.axes) >= 1


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".eps", b"%!PS-Adobe"),
                                           (".jpg", b"\xff\xd8\xff"), (".tif", b"II*\x00"),
                                           (".svgz", b"\x1f\x8b")])
def test_suffix_picks_the_format(suffix, magic, tmp_path):
    out = tmp_path / f"codebook{suffix}"
    vp.plot_codebook(np.eye(3), path=out)
    assert out.read_bytes()[:len(magic)] == magic


@pytest.fixture
def count_figures(monkeypatch):
    """Number of matplotlib Figures created since the fixture started."""
    from matplotlib.figure import Figure

    made = []
    original = Figure.__init__

    def init(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "__init__", init)
    return made


def _drawn(ax):
    return len(ax.lines) + len(ax.images) + len(ax.collections) + len(ax.patches) + len(ax.texts)


@pytest.mark.parametrize("name", sorted(SINGLE_AXES))
def test_single_axes_functions_draw_into_the_given_ax(name, count_figures, tmp_path):
    import matplotlib.pyplot as plt

    d = _inputs()
    fig, axes = plt.subplots(2, 2)  # a pyplot figure, as a user would make (Agg backend under tests)
    try:
        before = len(count_figures)
        opened = plt.get_fignums()
        out = SINGLE_AXES[name](d, ax=axes[0, 1], path=tmp_path / "grid.pdf")
        assert len(count_figures) == before  # no new Figure
        assert plt.get_fignums() == opened
        assert out is fig
        assert _drawn(axes[0, 1]) > 0
        assert [_drawn(a) for a in (axes[0, 0], axes[1, 0], axes[1, 1])] == [0, 0, 0]
        assert (tmp_path / "grid.pdf").read_bytes().startswith(b"%PDF")
    finally:
        plt.close(fig)


def test_ax_drawings_match_the_new_figure_drawings():
    """The axes given to ax= holds what the function's own figure holds (same data, same title)."""
    d = _inputs()
    for name, call in SINGLE_AXES.items():
        own = call(d)
        target = vp._common.new_figure((4, 4)).add_subplot()
        call(d, ax=target)
        own_ax = own.axes[1] if name == "plot_segmentation" else own.axes[0]  # the overlay panel
        assert target.get_title() == own_ax.get_title(), name
        for a, b in zip(own_ax.images, target.images):
            np.testing.assert_array_equal(a.get_array(), b.get_array())
        for a, b in zip(own_ax.lines, target.lines):
            np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
        assert _drawn(target) == _drawn(own_ax), name


def test_plot_k_selection_one_axes_per_curve():
    fig = vp._common.new_figure((6, 3))
    axes = fig.subplots(1, 2)
    ks = np.arange(2, 6)
    out = vp.plot_k_selection(ks, {"distortion": 1.0 / ks, "BIC": (ks - 3.0) ** 2}, chosen_k=3, ax=axes)
    assert out is fig and len(fig.axes) == 2
    assert [a.get_ylabel() for a in axes] == ["distortion", "BIC"]
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), (ks - 3.0) ** 2)
    with pytest.raises(ParameterError, match=r"ax gives 1 axes for 2 curves \('distortion', 'BIC'\)"):
        vp.plot_k_selection(ks, {"distortion": 1.0 / ks, "BIC": ks * 1.0}, ax=axes[0])


def test_plot_segmentation_ax_is_the_overlay_with_accuracy():
    d = _inputs()
    truth = 1 - d.seg
    truth[:2, :2] = 1
    ax = vp._common.new_figure((4, 3)).add_subplot()
    vp.plot_segmentation(d.img, d.seg, truth=truth, ax=ax)
    assert ax.get_title() == f"2 segments, pixel accuracy {np.mean(1 - d.seg == truth):.3f}"
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (20, 30, 3)
    vp.plot_segmentation(d.img, d.seg, title="mine", ax=ax)
    assert ax.get_title() == "mine"


@pytest.mark.parametrize("name", sorted(MULTI_AXES))
def test_multi_axes_functions_draw_into_a_subfigure(name, count_figures, tmp_path):
    d = _inputs()
    fig = vp._common.new_figure((12, 4))
    left, right = fig.subfigures(1, 2)
    n_made = len(count_figures)
    out = MULTI_AXES[name](d, fig=right, path=tmp_path / "both.pdf")
    assert len(count_figures) == n_made
    assert out is right and len(right.axes) >= 2 and left.axes == []
    assert all(a.get_figure(root=False) is right for a in right.axes)
    assert (tmp_path / "both.pdf").read_bytes().startswith(b"%PDF")
    own = MULTI_AXES[name](d)
    assert len(own.axes) == len(right.axes)
    with pytest.raises(ParameterError, match=f"{name}: fig= already holds {len(right.axes)} axes"):
        MULTI_AXES[name](d, fig=right)
    with pytest.raises(ParameterError, match="is not a matplotlib Figure or SubFigure"):
        MULTI_AXES[name](d, fig=right.axes[0])


def test_ax_must_be_an_axes():
    with pytest.raises(ParameterError, match="ax='left' is not a matplotlib Axes"):
        vp.plot_codebook(np.eye(2), ax="left")
