"""Hartigan's dip test of unimodality, for the G-means split guard.

The *dip* of a sample (Hartigan & Hartigan 1985) is the largest distance
between its empirical distribution function and the closest unimodal
distribution function: ``1 / (2n)`` for perfectly evenly spaced values, up to
``1/4`` for two far-apart halves. It is computed here with algorithm AS 217
(P. M. Hartigan 1985, *Applied Statistics* 34, 320–325, with Maechler's two
published bug fixes): the greatest convex minorant and least concave majorant
of the sorted sample are walked inwards from both ends, ``O(n)`` after sorting.

p-values use the uniform distribution as the null (the least favourable
unimodal one, as Hartigan & Hartigan prove), through a table of quantiles of
``sqrt(n) * dip`` for uniform samples, interpolated in ``log n`` and in the
quantile level. The table was made by simulation with this very function
(``scripts/dip_null_table.py``: 20,000 uniform samples per ``n`` up to 1,000,
5,000 up to 5,000, 2,000 above); above the largest tabulated ``n`` the last row is used, as
``sqrt(n) * dip`` converges in distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..errors import ParameterError

__all__ = ["DipTest", "dip_statistic", "dip_pvalue", "dip_test"]


@dataclass(frozen=True)
class DipTest:
    """Outcome of :func:`dip_test`.

    Attributes
    ----------
    statistic : float
        The dip, in ``[1/(2n), 1/4]``.
    pvalue : float
        Probability that a uniform sample of the same size has a larger dip
        (table interpolation, clipped to the tabulated levels).
    alpha : float
    reject : bool
        ``pvalue < alpha``: unimodality rejected.
    """

    statistic: float
    pvalue: float
    alpha: float
    reject: bool


def dip_statistic(x) -> float:
    """Hartigan's dip of a one-dimensional sample.

    Parameters
    ----------
    x : array-like of shape (n,)

    Returns
    -------
    float
        0 for fewer than 4 values or all values equal (as AS 217), else the dip.
    """
    x = np.sort(np.asarray(x, dtype=np.float64).ravel())
    if not np.isfinite(x).all():
        raise ParameterError("the dip test needs finite values; got NaN or infinity")
    return float(_dip_sorted(x))


def dip_pvalue(dip, n):
    """p-value of a dip for sample size ``n`` under the uniform null.

    Parameters
    ----------
    dip : float
    n : int

    Returns
    -------
    float
        Between the smallest and largest tabulated tail probabilities
        (0.001 and 1): values beyond the table are clipped.
    """
    if n < 4:
        return 1.0
    s = float(dip) * np.sqrt(n)
    q = _quantiles_at(n)
    # q[i] is the quantile at level _LEVELS[i]; the p-value is 1 - level at s
    level = np.interp(s, q, _LEVELS, left=0.0, right=_LEVELS[-1])
    return round(float(max(1.0 - level, 1.0 - _LEVELS[-1])), 12)


def dip_test(x, *, alpha=0.05) -> DipTest:
    """Dip test that ``x`` comes from a unimodal distribution.

    Parameters
    ----------
    x : array-like of shape (n,)
        At least 4 values.
    alpha : float in (0, 1)

    Returns
    -------
    DipTest
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < 4:
        raise ParameterError(f"the dip test needs at least 4 values; got {x.size}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not (
        0.0 < float(alpha) < 1.0
    ):
        raise ParameterError(f"alpha={alpha!r} must be a number strictly between 0 and 1")
    d = dip_statistic(x)
    p = dip_pvalue(d, x.size)
    return DipTest(d, p, float(alpha), p < alpha)


# ---------------------------------------------------------------------- internals


def _quantiles_at(n):
    """Quantiles of sqrt(n) * dip at ``_LEVELS`` for size ``n`` (interpolated in log n)."""
    ln = np.log(_NS)
    t = np.log(n)
    if t <= ln[0]:
        return _TABLE[0]
    if t >= ln[-1]:
        return _TABLE[-1]
    i = int(np.searchsorted(ln, t)) - 1
    f = (t - ln[i]) / (ln[i + 1] - ln[i])
    return (1 - f) * _TABLE[i] + f * _TABLE[i + 1]


@numba.njit(cache=True, nogil=True)
def _dip_sorted(x):  # noqa: C901 - a direct transcription of AS 217
    n = x.shape[0]
    if n < 4 or x[n - 1] == x[0]:
        return 0.0
    # 1-based work arrays as in AS 217
    xs = np.empty(n + 1)
    xs[1:] = x
    mn = np.zeros(n + 1, dtype=np.int64)
    mj = np.zeros(n + 1, dtype=np.int64)
    gcm = np.zeros(n + 2, dtype=np.int64)
    lcm = np.zeros(n + 2, dtype=np.int64)
    low = 1
    high = n
    dip = 1.0  # in units of 1 / (2n) until the end
    # indices over which combination is needed for the convex minorant
    mn[1] = 1
    for j in range(2, n + 1):
        mn[j] = j - 1
        while True:
            mnj = mn[j]
            mnmnj = mn[mnj]
            if mnj == 1 or (xs[j] - xs[mnj]) * (mnj - mnmnj) < (xs[mnj] - xs[mnmnj]) * (j - mnj):
                break
            mn[j] = mnmnj
    # ... and for the concave majorant
    mj[n] = n
    for k in range(n - 1, 0, -1):
        mj[k] = k + 1
        while True:
            mjk = mj[k]
            mjmjk = mj[mjk]
            if mjk == n or (xs[k] - xs[mjk]) * (mjk - mjmjk) < (xs[mjk] - xs[mjmjk]) * (k - mjk):
                break
            mj[k] = mjmjk
    while True:
        # change points of the GCM from high to low
        gcm[1] = high
        i = 1
        while gcm[i] > low:
            gcm[i + 1] = mn[gcm[i]]
            i += 1
        l_gcm = i
        ig = l_gcm
        ix = ig - 1
        # change points of the LCM from low to high
        lcm[1] = low
        i = 1
        while lcm[i] < high:
            lcm[i + 1] = mj[lcm[i]]
            i += 1
        l_lcm = i
        ih = l_lcm
        iv = 2
        # largest distance greater than dip between GCM and LCM from low to high
        d = 0.0
        if l_gcm != 2 or l_lcm != 2:
            while True:
                gcmix = gcm[ix]
                lcmiv = lcm[iv]
                if gcmix > lcmiv:
                    gcmi1 = gcm[ix + 1]
                    dx = (lcmiv - gcmi1 + 1) - (xs[lcmiv] - xs[gcmi1]) * (gcmix - gcmi1) / (
                        xs[gcmix] - xs[gcmi1])
                    iv += 1
                    if dx >= d:
                        d = dx
                        ig = ix + 1
                        ih = iv - 1
                else:
                    lcmiv1 = lcm[iv - 1]
                    dx = (xs[gcmix] - xs[lcmiv1]) * (lcmiv - lcmiv1) / (xs[lcmiv] - xs[lcmiv1]) - (
                        gcmix - lcmiv1 - 1)
                    ix -= 1
                    if dx >= d:
                        d = dx
                        ig = ix + 1
                        ih = iv
                if ix < 1:
                    ix = 1
                if iv > l_lcm:
                    iv = l_lcm
                if gcm[ix] == lcm[iv]:
                    break
        else:
            d = 1.0
        if d < dip:
            break
        # dip of the convex minorant
        dip_l = 0.0
        for j in range(ig, l_gcm):
            max_t = 1.0
            jb = gcm[j + 1]
            je = gcm[j]
            if je - jb > 1 and xs[je] != xs[jb]:
                c = (je - jb) / (xs[je] - xs[jb])
                for jj in range(jb, je + 1):
                    t = (jj - jb + 1) - (xs[jj] - xs[jb]) * c
                    if max_t < t:
                        max_t = t
            if dip_l < max_t:
                dip_l = max_t
        # dip of the concave majorant
        dip_u = 0.0
        for j in range(ih, l_lcm):
            max_t = 1.0
            jb = lcm[j]
            je = lcm[j + 1]
            if je - jb > 1 and xs[je] != xs[jb]:
                c = (je - jb) / (xs[je] - xs[jb])
                for jj in range(jb, je + 1):
                    t = (xs[jj] - xs[jb]) * c - (jj - jb - 1)
                    if max_t < t:
                        max_t = t
            if dip_u < max_t:
                dip_u = max_t
        dipnew = dip_u if dip_u > dip_l else dip_l
        if dip < dipnew:
            dip = dipnew
        if low == gcm[ig] and high == lcm[ih]:
            break
        low = gcm[ig]
        high = lcm[ih]
    return dip / (2.0 * n)


# Quantile levels and the table of sqrt(n) * dip quantiles for uniform samples (see module doc)
_LEVELS = np.array([
    0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999,
])
_NS = np.array([4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0,
                5000.0, 10000.0, 20000.0])
_TABLE = np.array([
    # n = 4
    [0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2500, 0.2654,
     0.3157, 0.3746, 0.4141, 0.4488, 0.4649, 0.4756, 0.4846, 0.4904],
    # n = 5
    [0.2236, 0.2236, 0.2236, 0.2236, 0.2236, 0.2236, 0.2738, 0.3319,
     0.3616, 0.3967, 0.4174, 0.4338, 0.4403, 0.4435, 0.4456, 0.4463],
    # n = 6
    [0.2041, 0.2041, 0.2041, 0.2041, 0.2272, 0.2549, 0.3018, 0.3443,
     0.3661, 0.3900, 0.4034, 0.4367, 0.4667, 0.4958, 0.5254, 0.5396],
    # n = 8
    [0.1768, 0.1768, 0.2078, 0.2307, 0.2598, 0.2805, 0.3131, 0.3407,
     0.3539, 0.4013, 0.4366, 0.4689, 0.4878, 0.5043, 0.5243, 0.5442],
    # n = 10
    [0.1581, 0.1927, 0.2280, 0.2468, 0.2694, 0.2850, 0.3090, 0.3473,
     0.3762, 0.4132, 0.4424, 0.4795, 0.5040, 0.5312, 0.5592, 0.5731],
    # n = 15
    [0.1291, 0.2100, 0.2359, 0.2484, 0.2675, 0.2884, 0.3233, 0.3612,
     0.3878, 0.4279, 0.4604, 0.4971, 0.5273, 0.5526, 0.5804, 0.5964],
    # n = 20
    [0.1118, 0.2111, 0.2357, 0.2540, 0.2774, 0.2952, 0.3279, 0.3695,
     0.3968, 0.4364, 0.4704, 0.5082, 0.5380, 0.5631, 0.5953, 0.6172],
    # n = 30
    [0.0913, 0.2168, 0.2431, 0.2590, 0.2822, 0.3019, 0.3361, 0.3763,
     0.4044, 0.4467, 0.4819, 0.5239, 0.5517, 0.5811, 0.6180, 0.6383],
    # n = 50
    [0.0707, 0.2236, 0.2505, 0.2682, 0.2913, 0.3099, 0.3466, 0.3881,
     0.4157, 0.4609, 0.4987, 0.5446, 0.5765, 0.6109, 0.6479, 0.6756],
    # n = 100
    [0.0500, 0.2278, 0.2575, 0.2745, 0.2992, 0.3185, 0.3545, 0.3980,
     0.4268, 0.4725, 0.5107, 0.5574, 0.5922, 0.6236, 0.6561, 0.6795],
    # n = 200
    [0.0354, 0.2343, 0.2617, 0.2797, 0.3042, 0.3242, 0.3605, 0.4052,
     0.4352, 0.4819, 0.5226, 0.5671, 0.5984, 0.6358, 0.6723, 0.6955],
    # n = 500
    [0.0224, 0.2374, 0.2658, 0.2853, 0.3097, 0.3302, 0.3675, 0.4131,
     0.4444, 0.4882, 0.5281, 0.5802, 0.6166, 0.6495, 0.6879, 0.7180],
    # n = 1000
    [0.0158, 0.2389, 0.2683, 0.2874, 0.3122, 0.3327, 0.3713, 0.4165,
     0.4468, 0.4935, 0.5344, 0.5851, 0.6200, 0.6586, 0.6979, 0.7244],
    # n = 2000
    [0.0112, 0.2435, 0.2720, 0.2889, 0.3133, 0.3328, 0.3719, 0.4151,
     0.4483, 0.4996, 0.5423, 0.5919, 0.6282, 0.6589, 0.6862, 0.7216],
    # n = 5000
    [0.0071, 0.2466, 0.2715, 0.2904, 0.3164, 0.3377, 0.3748, 0.4206,
     0.4522, 0.4997, 0.5414, 0.5877, 0.6196, 0.6509, 0.6972, 0.7280],
    # n = 10000
    [0.0050, 0.2498, 0.2782, 0.2942, 0.3181, 0.3407, 0.3791, 0.4237,
     0.4541, 0.5062, 0.5501, 0.5983, 0.6247, 0.6479, 0.6779, 0.6945],
    # n = 20000
    [0.0035, 0.2458, 0.2723, 0.2928, 0.3195, 0.3412, 0.3801, 0.4267,
     0.4563, 0.5080, 0.5524, 0.6056, 0.6492, 0.6813, 0.7433, 0.7547],
])
