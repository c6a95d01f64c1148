"""k-selection curves, confusion matrices and DET / ROC curves.

Inputs are plain arrays; result objects of :func:`vqtoolkit.choose_k` and of
the matcher's evaluation are accepted too (read by attribute name), so these
functions do not depend on how those results are built.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ._common import as_1d, attr, axes_figure, finish, new_figure

__all__ = ["plot_k_selection", "plot_confusion", "plot_det", "plot_roc", "equal_error_rate"]

_KS = ("ks", "k_values", "candidates", "n_codewords_tried", "k_range", "k_grid")
_VALUES = ("curves", "scores", "values", "curve", "criterion", "criteria", "distortions")
_CHOSEN = ("chosen_k", "best_k", "k", "n_codewords")
_MATRIX = ("matrix", "confusion", "confusion_matrix", "counts")
_NAMES = ("class_names", "classes", "labels", "names")
_FAR = ("far", "false_accept", "false_accept_rate", "fpr", "false_positive_rate")
_FRR = ("frr", "false_reject", "false_reject_rate", "fnr", "false_negative_rate", "miss")


def plot_k_selection(ks, values=None, *, chosen_k=None, ylabel=None, title=None, ax=None, path=None):
    """Criterion curves against the number of codewords, with the chosen ``k`` marked.

    Parameters
    ----------
    ks : array-like of shape (n_candidates,) or a k-selection result
        Candidate numbers of codewords. A result object (or dict) with
        attributes such as ``ks``, ``scores`` (or ``curves``) and ``k`` is
        read when ``values`` is omitted.
    values : array-like of shape (n_candidates,) or dict of str to array-like
        One curve, or several named curves (one axes each, shared x).
    chosen_k : int, optional
        Drawn as a vertical line and a marker on every curve.
    ylabel : str, optional
        Label of a single curve.
    title : str, optional
    ax : matplotlib Axes or sequence of Axes, optional
        Draw into these axes, one per curve (a single Axes for a single
        curve), instead of a new figure.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (``.png``,
        ``.pdf``, ``.svg`` … any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure (one axes per curve, shared x), or the figure of ``ax``.
    """
    if values is None:
        result = ks
        ks = attr(result, _KS)
        values = attr(result, _VALUES)
        if chosen_k is None:
            chosen_k = attr(result, _CHOSEN)
        if ks is None or values is None:
            raise ParameterError(
                f"cannot read k values and curve from {type(result).__name__}; pass ks and values arrays"
            )
    ks = as_1d(ks, "ks").astype(np.float64)
    curves = dict(values) if isinstance(values, dict) else {ylabel or "criterion": values}
    curves = {str(name): as_1d(v, f"values[{name!r}]").astype(np.float64) for name, v in curves.items()}
    for name, v in curves.items():
        if v.shape != ks.shape:
            raise ParameterError(f"curve {name!r} has {v.size} values for {ks.size} values of k")
    if ax is None:
        fig = new_figure((6.5, 1.2 + 2.4 * len(curves)))
        axes = np.atleast_1d(fig.subplots(len(curves), 1, sharex=True, squeeze=False).ravel())
    else:
        axes = [ax] if hasattr(ax, "plot") else list(ax)
        if len(axes) != len(curves):
            raise ParameterError(f"ax gives {len(axes)} axes for {len(curves)} curves "
                                 f"({', '.join(map(repr, curves))}); pass one Axes per curve")
        fig = axes_figure(axes[0], None)[0]
    for ax, (name, v) in zip(axes, curves.items()):
        ax.plot(ks, v, "o-", color="#1f77b4", ms=4)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if chosen_k is not None:
            ax.axvline(float(chosen_k), color="#d62728", ls="--", lw=1.2)
            hit = np.flatnonzero(ks == float(chosen_k))
            if hit.size:
                ax.plot(ks[hit[0]], v[hit[0]], "o", ms=10, mfc="none", mec="#d62728", mew=2)
    axes[-1].set_xlabel("number of codewords k")
    head = title or "choosing k"
    axes[0].set_title(head if chosen_k is None else f"{head}: k = {int(chosen_k)}")
    return finish(fig, path)


def plot_confusion(matrix, class_names=None, *, normalize=None, annotate=None, title=None, ax=None,
                   path=None):
    """Confusion matrix: true class in rows, predicted class in columns.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes) or a result object
        Counts. An object (or dict) with ``matrix``/``confusion`` and
        ``class_names``/``classes``/``labels`` is read too.
    class_names : sequence of str, optional
    normalize : {None, 'true', 'pred'}
        Show row (recall) or column (precision) fractions instead of counts.
    annotate : bool, optional
        Write the numbers; default when there are at most 30 classes.
    title : str, optional
        Default: the accuracy (trace / total).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    if not isinstance(matrix, np.ndarray) and attr(matrix, _MATRIX) is not None:
        if class_names is None:
            class_names = attr(matrix, _NAMES)
        matrix = attr(matrix, _MATRIX)
    M = np.asarray(matrix, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.size == 0 or not np.isfinite(M).all() or (M < 0).any():
        raise ParameterError(f"confusion matrix has shape {M.shape}; expected a square array of counts >= 0")
    n = M.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ParameterError(f"class_names has {len(names)} entries for a {n} x {n} matrix")
    if normalize not in (None, "true", "pred"):
        raise ParameterError(f"normalize={normalize!r} is not one of (None, 'true', 'pred')")
    shown = M
    if normalize == "true":
        shown = M / np.maximum(M.sum(axis=1, keepdims=True), 1e-300)
    elif normalize == "pred":
        shown = M / np.maximum(M.sum(axis=0, keepdims=True), 1e-300)
    size = min(3.0 + 0.45 * n, 16)
    fig, ax = axes_figure(ax, (size + 1.2, size))
    im = ax.imshow(shown, cmap="Blues", interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="fraction" if normalize else "count")
    if annotate is None:
        annotate = n <= 30
    if annotate:
        top = shown.max() or 1.0
        for i in range(n):
            for j in range(n):
                if M[i, j] == 0:
                    continue
                text = f"{shown[i, j]:.2f}" if normalize else f"{M[i, j]:.0f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7 if n > 12 else 9,
                        color="white" if shown[i, j] > 0.5 * top else "black")
    step = max(1, n // 40)
    ticks = np.arange(0, n, step)
    ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(ticks, [names[i] for i in ticks])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = M.sum()
    acc = np.trace(M) / total if total > 0 else float("nan")
    ax.set_title(title or f"accuracy {acc:.3f} ({int(np.trace(M))} of {int(total)})")
    return finish(fig, path)


def equal_error_rate(far, frr):
    """Equal error rate: where the false-accept and false-reject curves cross (linear interpolation).

    Parameters
    ----------
    far, frr : array-like of shape (n_thresholds,)
        Rates in [0, 1] at the same thresholds.

    Returns
    -------
    float
    """
    far, frr = _rates(far, frr)
    diff = far - frr
    order = np.argsort(diff, kind="stable")
    diff, a, b = diff[order], far[order], frr[order]
    i = int(np.searchsorted(diff, 0.0))
    if i == 0 or i == diff.size:
        j = int(np.argmin(np.abs(diff)))
        return float((a[j] + b[j]) / 2)
    t = -diff[i - 1] / (diff[i] - diff[i - 1])
    return float(a[i - 1] + t * (a[i] - a[i - 1]))


def plot_det(far, frr=None, *, kind="det", labels=None, title=None, ax=None, path=None):
    """Detection error trade-off (DET) or ROC curves of one or more systems.

    Parameters
    ----------
    far : array-like of shape (n_thresholds,), result object, or dict of name to curve
        False-accept rates. A result object (or dict) with attributes such as
        ``far``/``frr`` (``fpr``/``fnr``) is read too, and so are the
        ``Curve`` results of :func:`vqtoolkit.evaluation.det_points` and
        ``roc_points``; a dict maps system names to ``(far, frr)`` pairs or
        such objects.
    frr : array-like of shape (n_thresholds,), optional
        False-reject (miss) rates at the same thresholds.
    kind : {'det', 'roc', 'both'}, default='det'
        DET: miss rate against false-accept rate on normal-deviate axes, with
        the equal error rate marked. ROC: true-accept rate ``1 - frr``
        against ``far``, with the area under the curve.
    labels : sequence of str, optional
        Names of the systems (default: the dict keys, else ``system``).
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure; only for ``kind='det'``
        or ``'roc'`` (``'both'`` draws two axes).
    path : str or path-like, optional
        Save the figure there; the suffix picks the format (any of :data:`SAVE_FORMATS`).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax`` (``title`` then titles ``ax``).
    """
    systems = _systems(far, frr, labels)
    if kind not in ("det", "roc", "both"):
        raise ParameterError(f"kind={kind!r} is not one of ('det', 'roc', 'both')")
    if kind == "both":
        if ax is not None:
            raise ParameterError("kind='both' draws two axes; do not pass ax")
        fig = new_figure((11, 5))
        axes = fig.subplots(1, 2)
        _draw_det(axes[0], systems)
        _draw_roc(axes[1], systems)
    else:
        fig, a = axes_figure(ax, (5.5, 5))
        (_draw_det if kind == "det" else _draw_roc)(a, systems)
        if title and ax is not None:
            a.set_title(title)
    if title and ax is None:
        fig.suptitle(title)
    return finish(fig, path)


def plot_roc(far, frr=None, *, labels=None, title=None, ax=None, path=None):
    """ROC curves; same inputs as :func:`plot_det` (``kind='roc'``)."""
    return plot_det(far, frr, kind="roc", labels=labels, title=title, ax=ax, path=path)


def _systems(far, frr, labels):
    if frr is not None:
        items = [("system", (far, frr))]
    elif isinstance(far, dict) and attr(far, _FAR) is None:
        items = list(far.items())
    else:
        items = [("system", far)]
    out = []
    for name, item in items:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            a, b = item
        else:
            a, b = attr(item, _FAR), attr(item, _FRR)
            if a is not None and b is None and attr(item, ("second",)) is not None:
                b = _second_as_frr(a, attr(item, ("second",)))
            if a is None or b is None:
                raise ParameterError(
                    f"cannot read false-accept / false-reject rates from {type(item).__name__}; "
                    "pass far and frr arrays"
                )
        out.append([str(name), *_rates(a, b)])
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(out):
            raise ParameterError(f"labels has {len(labels)} entries for {len(out)} curves")
        for row, lab in zip(out, labels):
            row[0] = str(lab)
    return out


def _second_as_frr(far, second):
    """``vqtoolkit.evaluation.Curve``: ``second`` is the true-accept rate (ROC) or false-reject rate (DET).

    Along increasing false-accept rate, a true-accept rate rises and a false-reject rate falls.
    """
    far, second = _rates(far, second)
    order = np.argsort(far, kind="stable")
    rising = second[order][-1] > second[order][0]
    return 1.0 - second if rising else second


def _rates(far, frr):
    far = as_1d(far, "far").astype(np.float64)
    frr = as_1d(frr, "frr").astype(np.float64)
    if far.shape != frr.shape:
        raise ParameterError(f"far has {far.size} values but frr has {frr.size}")
    if not (np.isfinite(far).all() and np.isfinite(frr).all()) or far.min() < 0 or frr.min() < 0 \
            or far.max() > 1 or frr.max() > 1:
        raise ParameterError("far and frr must be rates in [0, 1]")
    return far, frr


def _draw_det(ax, systems):
    from scipy.stats import norm

    lo = 1e-4
    ticks = np.array([0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8])
    for i, (name, far, frr) in enumerate(systems):
        order = np.argsort(far, kind="stable")
        x = norm.ppf(np.clip(far[order], lo, 1 - lo))
        y = norm.ppf(np.clip(frr[order], lo, 1 - lo))
        eer = equal_error_rate(far, frr)
        (line,) = ax.plot(x, y, lw=1.8, label=f"{name} (EER {100 * eer:.1f}%)", color=f"C{i}")
        p = norm.ppf(np.clip(eer, lo, 1 - lo))
        ax.plot(p, p, "o", color=line.get_color(), mec="black")
    lim = norm.ppf([lo * 5, 0.9])
    ax.plot(lim, lim, ls=":", color="grey", lw=1)
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    tick_pos = norm.ppf(ticks)
    labels = [f"{100 * t:g}" for t in ticks]
    ax.set_xticks(tick_pos, labels)
    ax.set_yticks(tick_pos, labels)
    ax.set_xlabel("false accept rate (%)")
    ax.set_ylabel("false reject rate (%)")
    ax.set_title("DET")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper right")


def _draw_roc(ax, systems):
    for i, (name, far, frr) in enumerate(systems):
        order = np.lexsort((1 - frr, far))
        x = np.concatenate([[0.0], far[order], [1.0]])
        y = np.concatenate([[0.0], (1 - frr)[order], [1.0]])
        auc = float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))
        ax.plot(x, y, lw=1.8, color=f"C{i}", label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate (1 - false reject)")
    ax.set_title("ROC")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
