"""L1-optimal camera path (after Grundmann et al.), solved by ADMM in numba.

For one shot, with x the crop's left edge per frame (source px):

    minimise   w0 * sum_i c_i |x_i - t_i|            (stay on the subject's framing)
             + w1 * sum |D1 x| + w2 * sum |D2 x| + w3 * sum |D3 x|
    subject to lo_i <= x_i <= hi_i                  (the subject stays inside)
               |D1 x| <= v_max, |D2 x| <= a_max      (pan speed and acceleration)

D1, D2, D3 are the first, second and third differences. Under L1 the optimum
is piecewise static, constant-velocity or eased, like a camera operator.

ADMM splits z_k = A_k x with A_0 = I, A_k = D_k; the x-step solves one banded
system (I + D1'D1 + D2'D2 + D3'D3) x = b factored once per window, and every
z-step is a closed-form shrink-and-clip. Long shots are solved in overlapping
windows whose first frames are pinned to the previous window, so memory stays
flat.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

BANDWIDTH = 3  # D3'D3 reaches three diagonals out


@dataclass(frozen=True)
class PathWeights:
    data: float = 0.05        # w0, per frame, per px off the subject's framing
    velocity: float = 1.0     # w1, per px/frame
    accel: float = 10.0       # w2, per px/frame^2
    jerk: float = 100.0       # w3, per px/frame^3
    rho: float = 1.0          # ADMM penalty
    iterations: int = 4000    # at most; stops earlier once the path moves < tolerance_px per check
    tolerance_px: float = 1e-3


@numba.njit(cache=True, nogil=True)
def _normal_matrix_bands(n):
    """Lower bands of M = I + D1'D1 + D2'D2 + D3'D3 (n x n), as bands[k, i] = M[i, i - k]."""
    bands = np.zeros((BANDWIDTH + 1, n))
    for i in range(n):
        bands[0, i] = 1.0
    stencils = ((-1.0, 1.0, 0.0, 0.0), (1.0, -2.0, 1.0, 0.0), (-1.0, 3.0, -3.0, 1.0))
    lengths = (2, 3, 4)
    for s in range(3):
        m = lengths[s]
        st = stencils[s]
        for r in range(n - m + 1):  # row r of D touches x[r .. r + m - 1]
            for a in range(m):
                for b in range(a + 1):
                    bands[a - b, r + a] += st[a] * st[b]
    return bands


@numba.njit(cache=True, nogil=True)
def _banded_cholesky(bands):
    """In-place banded Cholesky: returns L's bands with L[i, i-k] = out[k, i]."""
    p, n = bands.shape
    L = np.zeros_like(bands)
    for i in range(n):
        for k in range(p - 1, -1, -1):
            j = i - k
            if j < 0:
                continue
            s = bands[k, i]
            for m in range(1, p - k):
                if j - m < 0:
                    break
                s -= L[k + m, i] * L[m, j]
            if k == 0:
                L[0, i] = np.sqrt(s)
            else:
                L[k, i] = s / L[0, j]
    return L


@numba.njit(cache=True, nogil=True)
def _banded_solve(L, b):
    p, n = L.shape
    y = b.copy()
    for i in range(n):
        s = y[i]
        for k in range(1, p):
            if i - k < 0:
                break
            s -= L[k, i] * y[i - k]
        y[i] = s / L[0, i]
    for i in range(n - 1, -1, -1):
        s = y[i]
        for k in range(1, p):
            if i + k >= n:
                break
            s -= L[k, i + k] * y[i + k]
        y[i] = s / L[0, i]
    return y


@numba.njit(cache=True, nogil=True)
def _diff(x, order):
    out = x.copy()
    m = x.shape[0]
    for _ in range(order):
        for i in range(m - 1):
            out[i] = out[i + 1] - out[i]
        m -= 1
    return out[:m].copy()


@numba.njit(cache=True, nogil=True)
def _diff_transpose(y, order, n):
    """D_order' y for D of shape (n - order, n)."""
    out = np.zeros(n)
    m = y.shape[0]
    cur = y.copy()
    for _ in range(order):  # D' of a first difference: out[i] = y[i-1] - y[i]
        nxt = np.zeros(m + 1)
        for i in range(m + 1):
            a = cur[i - 1] if i >= 1 else 0.0
            b = cur[i] if i < m else 0.0
            nxt[i] = a - b
        cur = nxt
        m += 1
    out[:] = cur
    return out


@numba.njit(cache=True, nogil=True)
def _shrink(v, t):
    if v > t:
        return v - t
    if v < -t:
        return v + t
    return 0.0


@numba.njit(cache=True, nogil=True)
def _solve_window_kernel(target, conf, lo, hi, w0, w1, w2, w3, v_max, a_max, rho, iterations, x0, tol):
    n = target.shape[0]
    L = _banded_cholesky(_normal_matrix_bands(n))
    x = x0.copy()
    z0 = x.copy()
    u0 = np.zeros(n)
    z1 = _diff(x, 1)
    u1 = np.zeros(n - 1)
    z2 = _diff(x, 2)
    u2 = np.zeros(max(0, n - 2))
    z3 = _diff(x, 3)
    u3 = np.zeros(max(0, n - 3))
    last = z0.copy()
    for it in range(iterations):
        b = (z0 - u0) + _diff_transpose(z1 - u1, 1, n) + _diff_transpose(z2 - u2, 2, n) \
            + _diff_transpose(z3 - u3, 3, n)
        x = _banded_solve(L, b)
        d1 = _diff(x, 1)
        d2 = _diff(x, 2)
        d3 = _diff(x, 3)
        for i in range(n):
            v = x[i] + u0[i]
            z = target[i] + _shrink(v - target[i], w0 * conf[i] / rho)
            z0[i] = min(max(z, lo[i]), hi[i])
            u0[i] += x[i] - z0[i]
        for i in range(n - 1):
            z1[i] = min(max(_shrink(d1[i] + u1[i], w1 / rho), -v_max), v_max)
            u1[i] += d1[i] - z1[i]
        for i in range(n - 2):
            z2[i] = min(max(_shrink(d2[i] + u2[i], w2 / rho), -a_max), a_max)
            u2[i] += d2[i] - z2[i]
        for i in range(n - 3):
            z3[i] = _shrink(d3[i] + u3[i], w3 / rho)
            u3[i] += d3[i] - z3[i]
        if tol > 0 and it % 25 == 24:  # converged: the path and the split agree and have settled
            worst = 0.0
            for i in range(n):
                worst = max(worst, abs(z0[i] - last[i]), abs(x[i] - z0[i]))
                last[i] = z0[i]
            if worst < tol:
                break
    return z0


def solve_l1_path(target: np.ndarray, conf: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  v_max: float, a_max: float, weights: PathWeights = PathWeights(),
                  window: int = 900, overlap: int = 90) -> np.ndarray:
    """Crop left edge per frame (float px) for one shot.

    target: desired left edge per frame (px); conf: weight of the target per frame, 0..1
    (0 where no subject was seen); lo/hi: allowed left edges per frame (px), lo <= hi;
    v_max: px/frame; a_max: px/frame^2. Shots longer than ``window`` frames are solved
    in windows overlapping by ``overlap`` frames.
    """
    target, conf, lo, hi = (np.ascontiguousarray(a, dtype=np.float64) for a in (target, conf, lo, hi))
    n = target.shape[0]
    if not (conf.shape == lo.shape == hi.shape == (n,)):
        raise ValueError("target, conf, lo and hi must have the same length")
    if n == 0:
        return np.zeros(0)
    if np.any(lo > hi) or np.any(~np.isfinite(target)) or np.any(~np.isfinite(lo)) or np.any(~np.isfinite(hi)):
        raise ValueError("need finite arrays with lo <= hi")
    if v_max <= 0 or a_max <= 0:
        raise ValueError("v_max and a_max must be positive")
    if n < 4:
        return np.clip(np.full(n, float(np.median(target))), lo, hi)
    if window < 4 * overlap or overlap < 4:
        raise ValueError("window must be at least 4x overlap, overlap >= 4")
    w = weights
    out = np.empty(n)
    start = 0
    pinned = 0
    while True:
        end = min(n, start + window)
        lo_w, hi_w = lo[start:end].copy(), hi[start:end].copy()
        if pinned:  # continuity with the previous window
            lo_w[:pinned] = hi_w[:pinned] = out[start:start + pinned]
        x0 = np.clip(target[start:end], lo_w, hi_w)
        out[start:end] = _solve_window_kernel(target[start:end], conf[start:end], lo_w, hi_w, w.data, w.velocity,
                                              w.accel, w.jerk, float(v_max), float(a_max), w.rho, w.iterations, x0,
                                              w.tolerance_px)
        if end == n:
            return out
        start = end - overlap
        pinned = 3


@numba.njit(cache=True, nogil=True)
def _quantize_kernel(x, lo, hi, tolerance):
    """Integer path that follows x within ``tolerance`` px and changes its velocity rarely.

    Integer velocity with hysteresis: the step changes only when the integer
    path drifts more than ``tolerance`` from x, so slow pans do not stutter
    between 0 and 1 px steps every frame.
    """
    n = x.shape[0]
    out = np.empty(n, np.int64)
    pos = int(np.round(x[0]))
    vel = 0
    if n > 1:
        vel = int(np.round(x[1] - x[0]))
    for i in range(n):
        if i > 0:
            pos += vel
        err = pos - x[i]
        if err > tolerance or err < -tolerance:
            # re-aim: the velocity that meets x a few frames ahead
            ahead = min(n - 1, i + 8)
            if ahead > i:
                vel = int(np.round((x[ahead] - pos) / (ahead - i)))
            pos = int(np.round(min(max(pos, x[i] - tolerance), x[i] + tolerance)))
        lo_i = int(np.ceil(lo[i]))
        hi_i = int(np.floor(hi[i]))
        if pos < lo_i:
            pos = lo_i
        if pos > hi_i:
            pos = hi_i
        out[i] = pos
    return out


def quantize_path(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, tolerance: float = 3.0) -> np.ndarray:
    """Integer crop positions near ``x`` (within ``tolerance`` px), inside [ceil(lo), floor(hi)]."""
    x, lo, hi = (np.ascontiguousarray(a, dtype=np.float64) for a in (x, lo, hi))
    if not x.shape == lo.shape == hi.shape:
        raise ValueError("x, lo and hi must have the same length")
    if len(x) == 0:
        return np.zeros(0, np.int64)
    if tolerance < 0.5:
        raise ValueError("tolerance must be >= 0.5 px")
    return _quantize_kernel(x, lo, hi, float(tolerance))
