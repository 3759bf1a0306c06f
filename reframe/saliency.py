"""Per-frame saliency, reduced to the best crop window along x, plus the luma,
motion and brightness the other detectors read.

The subject map itself is ``reframe.subject``. A few floats per frame are kept
(window centre, the subject's width, motion, brightness), so memory stays flat
on long inputs.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _luma_motion_kernel(frame, prev_luma, luma_out):
    """Writes the luma (0..255) of an RGB frame to ``luma_out``; returns (the mean |luma - previous
    luma| (0..255; 0 when prev_luma[0, 0] < 0, no previous frame), the mean luma (0..255))."""
    h, w, _ = frame.shape
    has_prev = prev_luma[0, 0] >= 0.0
    motion = 0.0
    total = 0.0
    for y in range(h):
        for x in range(w):
            lum = 0.299 * float(frame[y, x, 0]) + 0.587 * float(frame[y, x, 1]) + 0.114 * float(frame[y, x, 2])
            if has_prev:
                motion += abs(lum - prev_luma[y, x])
            luma_out[y, x] = lum
            total += luma_out[y, x]
    return motion / float(h * w), total / float(h * w)


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

    The subject comes from ``reframe.subject.SubjectMap`` (centre-surround
    contrast, colour rarity, motion against the camera, the largest connected
    salient region); the window is the crop-wide span of grid columns holding
    most of that region, and the region's horizontal extent is kept too.
    Frames may skip indices (a fast scan that decodes only some frames):
    ``per_frame`` fills the gaps, never across a shot boundary. A few numbers
    per decoded frame are kept, so memory stays flat on long inputs.

    ``weights``: (contrast, rarity, motion[, focus]) of the subject map, each >= 0;
    ``blur_gate``: the subject map's blur gate (``reframe.subject.SubjectMap``, 0: off);
    ``threshold_std``: the map's cells above mean + this many standard
    deviations can belong to the subject region.
    """

    def __init__(self, width: int, height: int, crop_w_frac: float, source_width: int,
                 weights=(1.0, 2.0, 0.5), threshold_std: float = 0.5, blur_gate: float = 0.0):
        from reframe.subject import SubjectMap

        if not 0 < crop_w_frac <= 1:
            raise ValueError("crop_w_frac must be in (0, 1]")
        self.width = width
        self.scale = source_width / width
        self.subject = SubjectMap(width, height, weights, threshold_std, blur_gate=blur_gate)
        self.window = max(1, int(round(crop_w_frac * self.subject.gw)))
        self._cell_px = self.subject.block * self.scale   # source px per grid column
        self._prev = np.full((height, width), -1.0, np.float32)
        self._cur = np.empty((height, width), np.float32)
        self.indices: list[int] = []    # decoded frame indices, increasing
        self.centres: list[float] = []  # best window centre per decoded frame, source px
        self.extents: list[float] = []  # width of the main salient region per decoded frame, source px
        self.motion: list[float] = []   # mean |d luma| per frame of distance to the previous decoded frame, 0..255
        self.brightness: list[float] = []  # mean luma per decoded frame, 0..255

    @property
    def luma(self) -> np.ndarray:
        """Luma (0..255, float32) of the last frame processed; overwritten by the next one but one."""
        return self._prev

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        last = self.indices[-1] if self.indices else -1
        if index <= last:
            raise ValueError("frames must arrive in increasing order")
        gap = index - last if last >= 0 else 1
        m, mean_luma = _luma_motion_kernel(frame, self._prev, self._cur)
        self._prev, self._cur = self._cur, self._prev
        lo, hi, _ = self.subject.process(frame)
        cx, _ = _best_window_kernel(self.subject.columns, self.window)
        self.brightness.append(mean_luma)
        self.indices.append(index)
        self.motion.append(m / gap)
        self.centres.append((cx + 0.5) * self._cell_px)
        self.extents.append(max(0.0, hi - lo) * self._cell_px)

    def brightness_at(self, frame: int) -> float:
        """Mean luma (0..255) of the decoded frame nearest to ``frame``."""
        import bisect

        j = bisect.bisect_left(self.indices, frame)
        near = [k for k in (j - 1, j) if 0 <= k < len(self.indices)]
        return self.brightness[min(near, key=lambda k: abs(self.indices[k] - frame))]

    def extent_per_frame(self, n: int, bounds: list[int] | None = None) -> np.ndarray:
        """Width (source px) of the main salient region for frames 0..n-1, filled as ``per_frame`` fills."""
        return self._fill(n, bounds, self.extents)

    def per_frame(self, n: int, bounds: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(centre px, motion 0..255) for frames 0..n-1, filling undecoded frames.

        Inside a shot (``bounds``: sorted shot starts, 0 first) a skipped frame
        gets the linear blend of its decoded neighbours; at a shot's edges the
        nearest decoded frame of the same shot is held; a shot with no decoded
        frame takes the nearest one at all.
        """
        return self._fill(n, bounds, self.centres), self._fill(n, bounds, self.motion).astype(np.float32)

    def _fill(self, n: int, bounds: list[int] | None, values: list[float]) -> np.ndarray:
        idx = np.asarray(self.indices, np.int64)
        val = np.asarray(values, np.float64)
        if idx.size == 0:
            raise ValueError("no frames were processed")
        if idx.size == n and idx[-1] == n - 1:
            return val
        starts = sorted(set([0] + [b for b in (bounds or []) if 0 < b < n]))
        ends = starts[1:] + [n]
        out = np.empty(n, np.float64)
        for s, e in zip(starts, ends):
            lo, hi = np.searchsorted(idx, s), np.searchsorted(idx, e)
            if hi > lo:
                out[s:e] = np.interp(np.arange(s, e), idx[lo:hi], val[lo:hi])
            else:
                out[s:e] = val[min(max(lo, 0), idx.size - 1)]
        return out


def luma_motion(frame: np.ndarray, prev_luma: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Luma (h, w; 0..255) of an RGB uint8 frame and its mean |difference| from ``prev_luma`` (0 if None)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    h, w, _ = frame.shape
    if prev_luma is not None and prev_luma.shape != (h, w):
        raise ValueError("prev_luma must be (h, w)")
    prev = np.full((h, w), -1.0, np.float32) if prev_luma is None else prev_luma.astype(np.float32)
    luma = np.empty((h, w), np.float32)
    m, _ = _luma_motion_kernel(np.ascontiguousarray(frame), prev, luma)
    return luma, float(m)


def best_window(columns: np.ndarray, window: int) -> tuple[float, float]:
    """(centre, share) of the ``window``-wide span with the most saliency; window >= 1."""
    if window < 1:
        raise ValueError("window must be >= 1")
    return _best_window_kernel(np.ascontiguousarray(columns, dtype=np.float64), int(window))
