"""Per-frame saliency in numba: colour contrast plus motion energy, reduced to the
best crop window along x.

Only two floats per frame are kept (window centre and the share of saliency it
holds), so memory stays flat on long inputs.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _saliency_columns_kernel(frame, prev_luma, luma_out, columns_out, motion_weight):
    """Column saliency of an RGB frame; writes this frame's luma to ``luma_out``.

    Returns the mean |luma - previous luma| (0..255; 0 without a previous frame).

    contrast(x, y) = |rgb - mean rgb| (L1 over channels, 0..765)
    motion(x, y)   = |luma - previous luma| (0..255), skipped when prev_luma[0, 0] < 0
    """
    h, w, _ = frame.shape
    mr = 0.0
    mg = 0.0
    mb = 0.0
    for y in range(h):
        for x in range(w):
            mr += frame[y, x, 0]
            mg += frame[y, x, 1]
            mb += frame[y, x, 2]
    n = float(h * w)
    mr /= n
    mg /= n
    mb /= n
    has_prev = prev_luma[0, 0] >= 0.0
    for x in range(w):
        columns_out[x] = 0.0
    motion = 0.0
    for y in range(h):
        for x in range(w):
            r = float(frame[y, x, 0])
            g = float(frame[y, x, 1])
            b = float(frame[y, x, 2])
            lum = 0.299 * r + 0.587 * g + 0.114 * b
            c = abs(r - mr) + abs(g - mg) + abs(b - mb)
            if has_prev:
                m = abs(lum - prev_luma[y, x])
                motion += m
                c += motion_weight * m
            luma_out[y, x] = lum
            columns_out[x] += c
    return motion / n


@numba.njit(cache=True, nogil=True)
def _best_window_kernel(columns, window):
    """Centre (column units, float) and captured share (0..1) of the window with the largest sum."""
    w = columns.shape[0]
    total = 0.0
    for x in range(w):
        total += columns[x]
    if window >= w:
        return (w - 1) / 2.0, 1.0
    s = 0.0
    for x in range(window):
        s += columns[x]
    best = s
    best_x = 0
    for x in range(window, w):
        s += columns[x] - columns[x - window]
        if s > best:
            best = s
            best_x = x - window + 1
    share = best / total if total > 0 else 0.0
    return best_x + (window - 1) / 2.0, share


@numba.njit(cache=True, nogil=True)
def _changed_fraction_kernel(a, b, threshold):
    """Share of pixels (0..1) whose values differ by more than ``threshold``."""
    h, w = a.shape
    count = 0
    for y in range(h):
        for x in range(w):
            if abs(a[y, x] - b[y, x]) > threshold:
                count += 1
    return count / float(h * w)


def changed_fraction(a: np.ndarray, b: np.ndarray, threshold: float = 12.0) -> float:
    """Share of pixels (0..1) of two same-sized luma images (0..255) that differ by more
    than ``threshold`` luma levels: robust to sensor and compression noise."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("need two 2-D luma images of the same size")
    return float(_changed_fraction_kernel(a, b, float(threshold)))


class SaliencyTracker:
    """Streams frames; keeps per frame the best crop-window centre in source pixels.

    Frames may skip indices (a fast scan that decodes only some frames):
    ``per_frame`` fills the gaps, never across a shot boundary. Three numbers
    per decoded frame are kept, so memory stays flat on long inputs.
    """

    def __init__(self, width: int, height: int, crop_w_frac: float, source_width: int,
                 motion_weight: float = 2.0):
        if not 0 < crop_w_frac <= 1:
            raise ValueError("crop_w_frac must be in (0, 1]")
        self.width = width
        self.scale = source_width / width
        self.window = max(1, int(round(crop_w_frac * width)))
        self.motion_weight = float(motion_weight)
        self._prev = np.full((height, width), -1.0, np.float32)
        self._cur = np.empty((height, width), np.float32)
        self._cols = np.empty(width, np.float64)
        self.indices: list[int] = []    # decoded frame indices, increasing
        self.centres: list[float] = []  # best window centre per decoded frame, source px
        self.shares: list[float] = []   # share of the frame's saliency inside that window, 0..1
        self.motion: list[float] = []   # mean |d luma| per frame of distance to the previous decoded frame, 0..255
        self.brightness: list[float] = []  # mean luma per decoded frame, 0..255

    @property
    def luma(self) -> np.ndarray:
        """Luma (0..255, float32) of the last frame processed; overwritten by the next one but one."""
        return self._prev

    def reset_motion(self) -> None:
        """Forget the previous frame (call at a cut so the cut is not read as motion)."""
        self._prev[0, 0] = -1.0

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        last = self.indices[-1] if self.indices else -1
        if index <= last:
            raise ValueError("frames must arrive in increasing order")
        gap = index - last if last >= 0 else 1
        m = _saliency_columns_kernel(frame, self._prev, self._cur, self._cols, self.motion_weight)
        self._prev, self._cur = self._cur, self._prev
        cx, share = _best_window_kernel(self._cols, self.window)
        self.brightness.append(float(self._prev.mean()))
        self.indices.append(index)
        self.motion.append(m / gap)
        self.centres.append((cx + 0.5) * self.scale)
        self.shares.append(share)

    def brightness_at(self, frame: int) -> float:
        """Mean luma (0..255) of the decoded frame nearest to ``frame``."""
        import bisect

        j = bisect.bisect_left(self.indices, frame)
        near = [k for k in (j - 1, j) if 0 <= k < len(self.indices)]
        return self.brightness[min(near, key=lambda k: abs(self.indices[k] - frame))]

    def per_frame(self, n: int, bounds: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(centre px, motion 0..255) for frames 0..n-1, filling undecoded frames.

        Inside a shot (``bounds``: sorted shot starts, 0 first) a skipped frame
        gets the linear blend of its decoded neighbours; at a shot's edges the
        nearest decoded frame of the same shot is held; a shot with no decoded
        frame takes the nearest one at all.
        """
        idx = np.asarray(self.indices, np.int64)
        cen = np.asarray(self.centres, np.float64)
        mot = np.asarray(self.motion, np.float64)
        if idx.size == 0:
            raise ValueError("no frames were processed")
        if idx.size == n and idx[-1] == n - 1:
            return cen.astype(np.float64), mot.astype(np.float32)
        starts = sorted(set([0] + [b for b in (bounds or []) if 0 < b < n]))
        ends = starts[1:] + [n]
        centres = np.empty(n, np.float64)
        motion = np.empty(n, np.float32)
        for s, e in zip(starts, ends):
            lo, hi = np.searchsorted(idx, s), np.searchsorted(idx, e)
            frames = np.arange(s, e)
            if hi > lo:
                centres[s:e] = np.interp(frames, idx[lo:hi], cen[lo:hi])
                motion[s:e] = np.interp(frames, idx[lo:hi], mot[lo:hi])
            else:
                k = min(max(lo, 0), idx.size - 1)
                centres[s:e] = cen[k]
                motion[s:e] = mot[k]
        return centres, motion


def saliency_columns(frame: np.ndarray, prev_luma: np.ndarray | None = None,
                     motion_weight: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Column saliency (len w) and the frame's luma (h, w) for an RGB uint8 frame."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    h, w, _ = frame.shape
    prev = np.full((h, w), -1.0, np.float32) if prev_luma is None else prev_luma.astype(np.float32)
    luma = np.empty((h, w), np.float32)
    cols = np.empty(w, np.float64)
    _saliency_columns_kernel(np.ascontiguousarray(frame), prev, luma, cols, float(motion_weight))
    return cols, luma


def best_window(columns: np.ndarray, window: int) -> tuple[float, float]:
    """(centre, share) of the ``window``-wide span with the most saliency; window >= 1."""
    if window < 1:
        raise ValueError("window must be >= 1")
    return _best_window_kernel(np.ascontiguousarray(columns, dtype=np.float64), int(window))
