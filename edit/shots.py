"""Shot-boundary detection on low-resolution frames, in numba.

``ShotDetector.process_frame(index, frame) -> list[cut]`` is the streaming
interface: the driver feeds frames in order; decisions come back late (about
``1.5 * max_transition_s + 1`` s: gradual transitions need frames on both sides
and fades through black are merged) and ``flush()`` returns the rest. Cuts are
returned in increasing order. A cut is the first frame of a new shot. A driver
may skip frames (the fast scan of ``verticalize scenes`` decodes only intra and
P-frames): skipped frames are filled in as mixes of their decoded neighbours for
the gradual test and never taken for a hard cut.

Per frame, one pass over the pixels (``_frame_features_kernel``) gives a
normalised 16-bin histogram per RGB channel and a luma thumbnail of ``GRID_W``
cells across (rows follow the aspect ratio, so scores do not depend on the
analysis resolution). Four decisions use them:

Hard cuts
    Content score of a frame against the previous decoded one, in 0..1: the mean
    of half the L1 distance between the histograms (averaged over the channels)
    and the mean absolute thumbnail difference over 64. A cut needs the score
    above ``min_score``, above ``ratio`` times the mean score of the decoded
    frames among ``window`` neighbours on each side (as PySceneDetect's adaptive
    detector does; a neighbour's score is scaled by sqrt(gap ratio) when the gaps
    since the previous decoded frame differ; the way into and out of a flash is
    no neighbour, so a flash frame beside a cut does not hide it), to be the local
    maximum, and at least ``min_shot_frames`` (``min_shot_s``, 0.2 s: the 6-frame
    shots of fast cutting) after the previous cut unless only a black or flat hold
    lies between them.

Flash frames
    A cut candidate at i is a flash, not a cut, when the picture before the
    flash comes back: decoded frames a < i <= b with 1..3 frames between them
    (plus skipped ones), a jump into the flash, and frame b like frame a: luma
    thumbnails that correlate above ``1 - flash_tolerance`` (correlation ignores
    gain and offset, so a camera flash that is still decaying matches), or a
    content score between a and b under ``FLASH_RETURN`` of the jump (fast motion
    decorrelates frames two apart; a cut differs across as much as at it). Kept
    in ``flashes`` as (start, end).

Gradual transitions (dissolves, fades, dips to black or white)
    For each centre frame c and half-width h (a ladder up to
    ``max_transition_s / 2``), with a = c-h and b = c+h: the change D from a to b
    must be large (RMS thumbnail difference >= ``gradual_min_delta`` grey levels);
    frame c and the quarter frames c -+ h/2 must lie near the line between frames
    a and b (a mix (1-t) A + t B: residual under ``gradual_residual`` of D; or,
    for moving pictures, under ``gradual_residual_motion`` when the frame's
    spatial variance dips as a mix's does), at increasing t, with t(c) in
    0.2..0.8; frames a and b must not be alike (correlation under
    ``gradual_max_correlation``: a slow pan over smooth content is nearly a mix);
    and the change must last (frame a-h against b+h at least ``gradual_outside``
    of D). Camera motion fails the line or variance test, flashes the lasting
    test, cuts the t test. The span comes from the best flat-ramp-flat fit to t
    over 2h frames either side: ``start`` is the first mixed frame and ``end``
    the first clean frame of the new shot (end exclusive).

Merging
    Boundaries that touch, that fewer than ``min_shot_frames`` separate (when one
    is gradual), or that only a hold of black, white or one colour separates (at
    most 1 s, a third of it flat at least, the tail of a fade allowed) are one transition: fade out / black /
    fade in, fade out then cut in, cut to black then fade in, dip to white. A
    fade in from flat frames at the very start and a fade out to flat frames at
    the very end are not boundaries.

The cut reported for a gradual transition ``(start, end)`` is its midpoint,
``(start + end) // 2``; ``transitions`` lists the spans and ``cut_strength``
gives every reported cut a 0..1 strength (the hard-cut score, or the content
score between the frames just before and just after a transition).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numba
import numpy as np

from verticalize.options import DEFAULTS

HIST_BINS = 16
GRID_W = 32                 # thumbnail cells across; rows follow the aspect ratio
FLAT_STD = 4.0              # luma thumbnail standard deviation under which a frame is flat (grey levels)
FLASH_MAX_FRAMES = 3        # longest flash, frames
FLASH_SLACK = 6             # skipped (not decoded) frames a flash may also span in a fast scan
FLASH_RETURN = 0.35         # ... or the content score across it is under this share of the jump into it
_H_LADDER = (2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22, 26, 30, 36, 42, 50, 60, 72, 90)

def grid_size(width: int, height: int) -> tuple[int, int]:
    """Thumbnail (cells across, cells down) for a frame of this size."""
    gw = min(GRID_W, width)
    gh = max(1, min(height, int(round(gw * height / width))))
    return gw, gh


@numba.njit(cache=True, nogil=True)
def _frame_features_kernel(frame, hist, thumb):
    """Fill ``hist`` (3*HIST_BINS, normalised) and ``thumb`` (gh, gw luma cell means) from an RGB frame."""
    h, w, _ = frame.shape
    gh, gw = thumb.shape
    bins = np.zeros(3 * HIST_BINS, np.int64)  # integer counts: the same values as float ones, cheaper adds
    sums = np.zeros((gh, gw), np.float64)
    xcell = np.empty(w, np.int64)
    col_n = np.zeros(gw, np.int64)  # pixels per cell column and per cell row: a cell's count is their product
    for x in range(w):
        xcell[x] = x * gw // w
        col_n[xcell[x]] += 1
    row_n = np.zeros(gh, np.int64)
    for y in range(h):
        cy = y * gh // h
        row_n[cy] += 1
        for x in range(w):
            r = frame[y, x, 0]
            g = frame[y, x, 1]
            b = frame[y, x, 2]
            bins[r >> 4] += 1
            bins[HIST_BINS + (g >> 4)] += 1
            bins[2 * HIST_BINS + (b >> 4)] += 1
            sums[cy, xcell[x]] += 0.299 * r + 0.587 * g + 0.114 * b
    n = float(h * w)
    for i in range(hist.shape[0]):
        hist[i] = bins[i] / n
    for i in range(gh):
        for j in range(gw):
            thumb[i, j] = sums[i, j] / float(row_n[i] * col_n[j])


@numba.njit(cache=True, nogil=True)
def _content_score_kernel(hist_a, hist_b, thumb_a, thumb_b):
    d_hist = 0.0
    for i in range(hist_a.shape[0]):
        d_hist += abs(hist_a[i] - hist_b[i])
    d_hist /= 6.0  # three channels, each L1 in 0..2
    d_thumb = 0.0
    for i in range(thumb_a.shape[0]):
        d_thumb += abs(thumb_a[i] - thumb_b[i])
    d_thumb = min(1.0, d_thumb / thumb_a.shape[0] / 64.0)
    return 0.5 * (d_hist + d_thumb)


@numba.njit(cache=True, nogil=True)
def _correlation_kernel(x, y):
    """Pearson correlation of two thumbnails; 0 when either is flat."""
    n = x.shape[0]
    mx = 0.0
    my = 0.0
    for i in range(n):
        mx += x[i]
        my += y[i]
    mx /= n
    my /= n
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(n):
        dx = x[i] - mx
        dy = y[i] - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx < n * FLAT_STD * FLAT_STD or syy < n * FLAT_STD * FLAT_STD:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


@numba.njit(cache=True, nogil=True)
def _line_fit(ring, ia, ib, it):
    """(t, residual RMS) of ring[it] on the line ring[ia] + t (ring[ib] - ring[ia])."""
    d = ring.shape[1]
    vv = 0.0
    pv = 0.0
    for k in range(d):
        v = ring[ib, k] - ring[ia, k]
        vv += v * v
        pv += (ring[it, k] - ring[ia, k]) * v
    t = pv / vv if vv > 0 else 0.0
    rr = 0.0
    for k in range(d):
        e = ring[it, k] - ring[ia, k] - t * (ring[ib, k] - ring[ia, k])
        rr += e * e
    return t, math.sqrt(rr / d)


@numba.njit(cache=True, nogil=True)
def _rms_diff(ring, i, j):
    d = ring.shape[1]
    s = 0.0
    for k in range(d):
        e = ring[i, k] - ring[j, k]
        s += e * e
    return math.sqrt(s / d)


@numba.njit(cache=True, nogil=True)
def _variance(ring, i):
    d = ring.shape[1]
    m = 0.0
    for k in range(d):
        m += ring[i, k]
    m /= d
    v = 0.0
    for k in range(d):
        v += (ring[i, k] - m) * (ring[i, k] - m)
    return v / d


@numba.njit(cache=True, nogil=True)
def _variance_1d(x):
    m = 0.0
    for k in range(x.shape[0]):
        m += x[k]
    m /= x.shape[0]
    v = 0.0
    for k in range(x.shape[0]):
        v += (x[k] - m) * (x[k] - m)
    return v / x.shape[0]


@numba.njit(cache=True, nogil=True)
def _dip(ring, ia, ib, it, t):
    """How far frame it's variance falls from the no-dip level toward the mix's, 0..1+.

    A mix (1-t) A + t B of unlike pictures has less spatial variance than either
    (the variance dip of a dissolve or fade); a moving picture keeps its variance.
    1 means frame it's variance is that of the mix, 0 that of (1-t) var A + t var B.
    """
    d = ring.shape[1]
    m = 0.0
    for k in range(d):
        m += (1 - t) * ring[ia, k] + t * ring[ib, k]
    m /= d
    vmix = 0.0
    for k in range(d):
        x = (1 - t) * ring[ia, k] + t * ring[ib, k] - m
        vmix += x * x
    vmix /= d
    vflat = (1 - t) * _variance(ring, ia) + t * _variance(ring, ib)
    if vflat - vmix <= 0.1 * vflat or vflat <= 0:
        return 0.0
    return (vflat - _variance(ring, it)) / (vflat - vmix)


@numba.njit(cache=True, nogil=True)
def _gradual_kernel(ring, c, n, hs, out, min_delta=0.0, t_lo=-1e300, t_hi=1e300, max_corr=1e300):
    """Line tests around centre frame ``c`` for every half-width in ``hs``; frames 0..n-1 exist.

    ``ring`` holds thumbnails (flattened) with frame i in row i % len(ring). Row k of
    ``out``: delta (RMS a..b), t and residual/delta at c, at c-h/2 and at c+h/2,
    the change from frame a-h to frame b+h over delta, the correlation of frames
    a and b, and the variance dip (see ``_dip``) at c, c-h/2 and c+h/2; delta = -1
    if the window does not fit. The row stops (the rest 0) as soon as a test the
    caller applies fails: delta < ``min_delta``, t(c) outside ``t_lo..t_hi``, the
    correlation above ``max_corr``.
    """
    size = ring.shape[0]
    for k in range(hs.shape[0]):
        h = hs[k]
        a = c - h
        b = c + h
        out[k, :] = 0.0
        if a < 0 or b > n - 1:
            out[k, 0] = -1.0
            continue
        ia, ib, ic = a % size, b % size, c % size
        delta = _rms_diff(ring, ia, ib)
        out[k, 0] = delta
        if delta <= 0.0:
            out[k, 0] = -1.0
            continue
        if delta < min_delta:
            continue
        t, r = _line_fit(ring, ia, ib, ic)
        out[k, 1] = t
        out[k, 2] = r / delta
        if not t_lo <= t <= t_hi:
            continue
        out[k, 8] = _correlation_kernel(ring[ia], ring[ib])
        if out[k, 8] > max_corr:
            continue
        q = h // 2
        i1 = (c - q) % size
        i3 = (c + q) % size
        if q >= 1 and h >= 3:
            t1, r1 = _line_fit(ring, ia, ib, i1)
            t3, r3 = _line_fit(ring, ia, ib, i3)
        else:
            i1 = ic
            i3 = ic
            t1, r1, t3, r3 = t, r, t, r
        out[k, 3] = t1
        out[k, 4] = r1 / delta
        out[k, 5] = t3
        out[k, 6] = r3 / delta
        a0 = max(0, a - h)
        b1 = min(n - 1, b + h)
        out[k, 7] = _rms_diff(ring, a0 % size, b1 % size) / delta
        out[k, 9] = _dip(ring, ia, ib, ic, min(1.0, max(0.0, t)))
        out[k, 10] = _dip(ring, ia, ib, i1, min(1.0, max(0.0, t1)))
        out[k, 11] = _dip(ring, ia, ib, i3, min(1.0, max(0.0, t3)))


@numba.njit(cache=True, nogil=True)
def _ramp_fit_kernel(y, lo, c_rel, min_len):
    """Best ramp over ``y`` (one value per frame from frame ``lo``): (start, end, sse).

    The model is flat, then a straight ramp over frames start..end-1, then flat: frame
    f weighs w = (f - start + 1) / (end - start + 1) clipped to 0..1, and y = p0 + (p1 - p0) w
    by least squares. start <= lo + c_rel < end; end - start >= min_len.
    """
    m = y.shape[0]
    best_sse = 1e300
    best_s = lo + c_rel
    best_e = lo + c_rel + 1
    ybar = 0.0
    for f in range(m):
        ybar += y[f]
    ybar /= m
    syy = 0.0
    for f in range(m):
        syy += (y[f] - ybar) * (y[f] - ybar)
    for s in range(1, c_rel + 1):
        for e in range(c_rel + 1, m):
            if e - s < min_len:
                continue
            span = float(e - s + 1)
            sw = 0.0
            sww = 0.0
            swy = 0.0
            for f in range(m):
                if f < s:
                    w = 0.0
                elif f >= e:
                    w = 1.0
                else:
                    w = (f - s + 1) / span
                sw += w
                sww += w * w
                swy += w * (y[f] - ybar)
            sxx = sww - sw * sw / m
            if sxx <= 0:
                continue
            beta = swy / sxx
            if beta <= 0:
                continue
            sse = syy - swy * swy / sxx
            if sse < best_sse:
                best_sse = sse
                best_s = lo + s
                best_e = lo + e
    return best_s, best_e, best_sse


@numba.njit(cache=True, nogil=True)
def _mix_positions(ring, a, b, lo, hi, out):
    """t of frames lo..hi on the line from frame a to frame b (ring rows are frame % len)."""
    size = ring.shape[0]
    for f in range(lo, hi + 1):
        t, r = _line_fit(ring, a % size, b % size, f % size)
        out[f - lo] = t


def ramp_span(t_values: np.ndarray, lo: int, centre: int, min_len: int = 2) -> tuple[int, int]:
    """(start, end) of the best flat-ramp-flat fit to per-frame mix positions ``t_values`` (frames lo..)."""
    y = np.ascontiguousarray(t_values, np.float64)
    if y.ndim != 1 or not lo < centre < lo + len(y) - 1:
        raise ValueError("t_values must be 1-D with the centre strictly inside")
    s, e, _ = _ramp_fit_kernel(y, lo, centre - lo, min_len)
    return int(s), int(e)


def frame_features(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Histogram (48,) and flattened luma thumbnail (gh*gw,) of an RGB uint8 frame (h, w, 3)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    h, w, _ = frame.shape
    if h < 2 or w < 2:
        raise ValueError("frame must be at least 2x2")
    gw, gh = grid_size(w, h)
    hist = np.zeros(3 * HIST_BINS, np.float64)
    thumb = np.zeros((gh, gw), np.float64)
    _frame_features_kernel(np.ascontiguousarray(frame), hist, thumb)
    return hist, thumb.ravel()


def content_score(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Content change between two frames' features, 0 (same) .. 1 (nothing alike)."""
    if a[1].shape != b[1].shape:
        raise ValueError("features come from frames of different sizes")
    return float(_content_score_kernel(a[0], b[0], a[1], b[1]))


def thumb_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two luma thumbnails (0 if either is flat)."""
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("thumbnails must be 1-D and of one size")
    return float(_correlation_kernel(np.asarray(a, np.float64), np.asarray(b, np.float64)))


def gradual_tests(thumbs: np.ndarray, c: int, hs) -> np.ndarray:
    """The line tests of ``_gradual_kernel`` for centre ``c`` over a (frames, cells) array."""
    thumbs = np.ascontiguousarray(thumbs, np.float64)
    if thumbs.ndim != 2 or not 0 <= c < len(thumbs):
        raise ValueError("thumbs must be (frames, cells) and c one of its frames")
    hs = np.asarray(hs, np.int64)
    out = np.zeros((len(hs), 12), np.float64)
    _gradual_kernel(thumbs, c, len(thumbs), hs, out)
    return out


class ShotDetector:
    """Streaming detector of hard cuts and gradual transitions, blind to flash frames.

    Attributes filled as frames arrive (the plan reads them):
      ``scores``        one float per frame: the hard-cut content score against the previous frame
      ``transitions``   ``(start, end)`` of each gradual transition emitted so far, end exclusive
      ``cut_strength``  cut frame -> strength 0..1, for every cut returned
      ``flashes``       ``(start, end)`` of flash frames that were not taken for cuts
    """

    def __init__(self, fps: float, min_score: float = DEFAULTS.shot_min_score,
                 ratio: float = DEFAULTS.shot_ratio, window: int = DEFAULTS.shot_window_frames,
                 min_shot_s: float = DEFAULTS.min_shot_s,
                 max_transition_s: float = DEFAULTS.shot_max_transition_s,
                 gradual_min_delta: float = DEFAULTS.shot_gradual_min_delta,
                 gradual_residual: float = DEFAULTS.shot_gradual_residual,
                 gradual_residual_motion: float = DEFAULTS.shot_gradual_residual_motion,
                 gradual_outside: float = DEFAULTS.shot_gradual_outside,
                 gradual_max_correlation: float = DEFAULTS.shot_gradual_max_correlation,
                 flash_tolerance: float = DEFAULTS.shot_flash_tolerance):
        """Every threshold is the options table's (``verticalize.options``); ``from_options`` takes them
        all from an ``Options``."""
        if min_score <= 0 or ratio <= 1 or window < 1:
            raise ValueError("min_score > 0, ratio > 1 and window >= 1 are required")
        if fps <= 0 or max_transition_s < 0:
            raise ValueError("fps > 0 and max_transition_s >= 0 are required")
        self.fps = float(fps)
        self.min_score = min_score
        self.ratio = ratio
        self.window = max(window, FLASH_MAX_FRAMES)
        self.min_shot_frames = max(1, int(round(min_shot_s * fps)))
        self.gradual_min_delta = gradual_min_delta
        self.gradual_residual = gradual_residual
        self.gradual_outside = gradual_outside
        self.gradual_residual_motion = gradual_residual_motion
        self.gradual_max_correlation = gradual_max_correlation
        self.flash_tolerance = flash_tolerance
        hmax = int(round(max_transition_s * fps / 2))
        scale = max(1.0, fps / 30.0)
        hs = sorted({int(round(h * scale)) for h in _H_LADDER if h * scale <= hmax})
        self._hs = np.array(hs, np.int64)
        self._hmax = hs[-1] if hs else 0
        self._flat_gap = max(1, int(round(fps)))            # flat frames merged into one transition
        # an event waits until any event it could merge with has been found: that one starts
        # at most flat_gap after it and is found 3 hmax after its start
        self._horizon = 3 * self._hmax + max(self._flat_gap, self.min_shot_frames) + self.window + 8
        size = 1
        while size < 2 * self._horizon + 16:
            size *= 2
        self._size = size

        self.scores: list[float] = []
        self.transitions: list[tuple[int, int]] = []
        self.cut_strength: dict[int, float] = {}
        self.flashes: list[tuple[int, int]] = []
        self._n = 0
        self._ring: np.ndarray | None = None
        self._hists: np.ndarray | None = None
        self._flat = np.zeros(size, np.bool_)
        self._contrast = np.zeros(size, np.float64)
        self._decoded = np.zeros(size, np.bool_)
        self._gap = np.ones(size, np.int64)      # frames since the previous decoded frame
        self._last_decoded = -1
        self._first_content = -1         # first frame that is not flat
        self._last_content = -1
        self._hard_next = 1              # next frame the hard-cut stage decides
        self._last_cut = -10 ** 9
        self._grad_next = 0              # next centre the gradual stage tests
        self._cluster: list[tuple] = []  # gradual candidates at consecutive centres
        self._events: list[list] = []    # [start, end, kind, strength]; kind 'cut' or 'gradual'
        self._tests = np.zeros((len(hs), 12), np.float64)
        self._last_out = 0

    # -- streaming -------------------------------------------------------------------

    def process_frame(self, index: int, frame: np.ndarray) -> list[int]:
        """Feed frame ``index`` in order; returns the cuts now decided, in order.

        Frames are 0, 1, 2, ...; a driver that decodes only some frames (the
        reference frames of a fast scan) may skip indices: the skipped frames
        are filled in as linear mixes of their decoded neighbours for the
        gradual test, and are never taken for a hard cut (the score of the next
        decoded frame spans the gap).
        """
        if index < self._n:
            raise ValueError(f"frames must arrive in order: expected {self._n} or later, got {index}")
        hist, thumb = frame_features(frame)
        if self._ring is None:
            self._ring = np.zeros((self._size, thumb.shape[0]), np.float64)
            self._hists = np.zeros((self._size, hist.shape[0]), np.float64)
        elif thumb.shape[0] != self._ring.shape[1]:
            raise ValueError("all frames must have the same size")
        last = self._n - 1
        for j in range(self._n, index):  # skipped frames
            if last < 0:
                self._store(j, hist, thumb, 0.0, decoded=False)
            else:
                w = (j - last) / (index - last)
                sl = last % self._size
                self._store(j, (1 - w) * self._hists[sl] + w * hist, (1 - w) * self._ring[sl] + w * thumb, 0.0,
                            decoded=False)
        if last < 0:
            score = 0.0
        else:
            sl = last % self._size
            score = float(_content_score_kernel(self._hists[sl], hist, self._ring[sl], thumb))
        self._store(index, hist, thumb, score, decoded=True)
        self._hard_stage(final=False)
        self._gradual_stage(final=False)
        return self._emit(final=False)

    def _store(self, index: int, hist: np.ndarray, thumb: np.ndarray, score: float, decoded: bool) -> None:
        slot = index % self._size
        if decoded:
            self._gap[slot] = index - self._last_decoded if self._last_decoded >= 0 else 1
            self._last_decoded = index
        self._ring[slot] = thumb
        self._hists[slot] = hist
        contrast = math.sqrt(_variance_1d(thumb))
        flat = contrast < FLAT_STD
        self._flat[slot] = flat
        self._contrast[slot] = contrast
        self._decoded[slot] = decoded
        if not flat:
            if self._first_content < 0:
                self._first_content = index
            self._last_content = index
        self.scores.append(score)
        self._n = index + 1

    def flush(self, frame_count: int | None = None) -> list[int]:
        """Decide every frame still waiting for neighbours; returns the remaining cuts.

        ``frame_count``: the number of frames in the video, when the last ones
        were skipped (they repeat the last decoded frame).
        """
        if self._n == 0:
            return []
        if frame_count is not None and frame_count > self._n:
            sl = (self._n - 1) % self._size
            hist, thumb = self._hists[sl].copy(), self._ring[sl].copy()
            for j in range(self._n, frame_count):
                self._store(j, hist, thumb, 0.0, decoded=False)
        self._hard_stage(final=True)
        self._gradual_stage(final=True)
        return self._emit(final=True)

    @classmethod
    def from_options(cls, fps: float, opts) -> "ShotDetector":
        """A detector with every shot threshold of ``opts`` (an ``Options``)."""
        return cls(fps, opts.shot_min_score, opts.shot_ratio, opts.shot_window_frames, opts.min_shot_s,
                   max_transition_s=opts.shot_max_transition_s, gradual_min_delta=opts.shot_gradual_min_delta,
                   gradual_residual=opts.shot_gradual_residual,
                   gradual_residual_motion=opts.shot_gradual_residual_motion,
                   gradual_outside=opts.shot_gradual_outside,
                   gradual_max_correlation=opts.shot_gradual_max_correlation,
                   flash_tolerance=opts.shot_flash_tolerance)

    # -- hard cuts and flashes -------------------------------------------------------

    def _score(self, a: int, b: int) -> float:
        sa, sb = a % self._size, b % self._size
        return float(_content_score_kernel(self._hists[sa], self._hists[sb], self._ring[sa], self._ring[sb]))

    def _flash_span(self, i: int) -> tuple[int, int] | None:
        """(first, end) flash frames if the picture before frame i comes back within 3 frames.

        Frames a < i <= b, both decoded, with 1..3 decoded frames between them (and
        any number of skipped ones, up to ``FLASH_SLACK``), a jump into the flash (the
        score of the first decoded frame after a at least ``min_score``), and frame b
        correlated with frame a above 1 - flash_tolerance, or (fast motion decorrelates
        frames two apart) a content score between them under ``min_score`` and under
        ``FLASH_RETURN`` times the jump (a cut's pictures differ across it as much as
        at it: the share is about 1 for every cut of the bench clips, at most 0.15 for
        their flashes).
        """
        n = self._n
        size = self._size
        tol = 1.0 - self.flash_tolerance
        dec = self._decoded
        for a in range(i - 1, max(-1, i - 2 - FLASH_MAX_FRAMES - FLASH_SLACK), -1):
            if not dec[a % size]:
                continue
            between = sum(1 for f in range(a + 1, i) if dec[f % size])
            for b in range(i, min(n, a + FLASH_MAX_FRAMES + FLASH_SLACK + 2)):
                if b > i and dec[(b - 1) % size]:
                    between += 1  # frame b-1 lies between a and b
                if not dec[b % size] or not 1 <= between <= FLASH_MAX_FRAMES:
                    continue
                if b - a - 1 - sum(1 for f in range(a + 1, b) if not dec[f % size]) > FLASH_MAX_FRAMES:
                    continue
                if self._flat[a % size] and self._flat[b % size]:
                    continue
                jump = self.scores[next(f for f in range(a + 1, b + 1) if dec[f % size])]
                if jump < self.min_score:
                    continue  # no jump into the "flash": frame b is only a brightened frame a
                r = _correlation_kernel(self._ring[a % size], self._ring[b % size])
                if r >= tol or self._score(a, b) < FLASH_RETURN * jump:
                    return a + 1, b
        return None

    def _note_flash(self, flash: tuple[int, int] | None) -> None:
        if flash is not None and (not self.flashes or self.flashes[-1] != flash):
            self.flashes.append(flash)

    def _flash_edge(self, j: int) -> bool:
        """Whether frame j's score is the way into or out of a flash (only asked of scores that could be cuts)."""
        if self.scores[j] < self.min_score:
            return False
        if any(s <= j <= e for s, e in self.flashes[-2:]):
            return True
        return self._flash_span(j) is not None

    def _hard_stage(self, final: bool) -> None:
        n = self._n
        w = self.window
        sc = self.scores
        # frames after i the tests may read: the window, and the flash test of its last frame
        ahead = w + FLASH_MAX_FRAMES + FLASH_SLACK + 1
        while self._hard_next < n and (final or self._hard_next + ahead < n):
            i = self._hard_next
            self._hard_next += 1
            s = sc[i]
            if s < self.min_score or not self._decoded[i % self._size]:
                continue
            if self.flashes and self.flashes[-1][0] <= i <= self.flashes[-1][1]:
                continue  # inside a flash already found, or its return
            if i - self._last_cut < self.min_shot_frames and not self._all_dim(self._last_cut, i, self._last_cut - 1, i):
                continue  # too soon after the last cut, unless only dark or flat frames lie between (merged later)
            lo, hi = max(1, i - w), min(n, i + w + 1)
            # neighbours' scores, scaled to this frame's gap from the previous decoded frame
            # (motion over g frames scores about sqrt(g) times one frame's); the edges of a flash
            # frame beside a cut are no neighbours (its way in and out score as high as a cut)
            gi = self._gap[i % self._size]
            neigh = [sc[j] * math.sqrt(gi / self._gap[j % self._size]) for j in range(lo, hi)
                     if j != i and self._decoded[j % self._size] and not self._flash_edge(j)]
            mean = sum(neigh) / len(neigh) if neigh else 0.0
            if s < self.ratio * mean or any(v > s for v in neigh):
                continue
            flash = self._flash_span(i)
            if flash is not None:
                self._note_flash(flash)
                continue
            self._last_cut = i
            self._add_event([i, i, "cut", s])

    # -- gradual transitions ---------------------------------------------------------

    def _gradual_stage(self, final: bool) -> None:
        if not len(self._hs):
            return
        n = self._n
        while self._grad_next < n and (final or self._grad_next + 2 * self._hmax < n):
            c = self._grad_next
            self._grad_next += 1
            cand = self._test_centre(c, n)
            if cand is None:
                if self._cluster and c - self._cluster[-1][0] > 1:
                    self._close_cluster(n)
                continue
            self._cluster.append(cand)
        if final and self._cluster:
            self._close_cluster(n)

    def _test_centre(self, c: int, n: int):
        out = self._tests
        _gradual_kernel(self._ring, c, n, self._hs, out, self.gradual_min_delta, 0.2, 0.8,
                        self.gradual_max_correlation)
        best = None
        rho, kappa = self.gradual_residual, self.gradual_outside
        passing = []
        loose = self.gradual_residual_motion
        # most centres have no window with a change large enough at a mix-like position: one numpy test
        if not ((out[:, 0] >= self.gradual_min_delta) & (out[:, 1] >= 0.2) & (out[:, 1] <= 0.8)).any():
            return None
        for k in range(len(self._hs)):
            delta, t, r, t1, r1, t3, r3, far, corr, dip, dip1, dip3 = out[k]
            if delta < self.gradual_min_delta or not 0.2 <= t <= 0.8:
                continue
            h = int(self._hs[k])
            if h >= 3 and not (t1 < t < t3):
                continue
            if far < kappa or corr > self.gradual_max_correlation:
                continue
            if max(r, r1, r3) > rho:
                # moving pictures: off the line, but the variance dips as a mix's does
                if h < 4 or delta < 1.5 * self.gradual_min_delta or far > 1.3 or max(r, r1, r3) > loose:
                    continue
                if not 0.6 <= dip <= 1.5 or any(rr > rho and 0.15 <= tt <= 0.85 and not 0.6 <= dd <= 1.5
                                                for rr, tt, dd in ((r1, t1, dip1), (r3, t3, dip3))):
                    continue
            passing.append((delta, h, t, max(r, r1, r3)))
        if not passing:
            return None
        top = max(p[0] for p in passing)
        for delta, h, t, r in passing:  # the narrowest window that sees (nearly) the whole change
            if delta >= 0.85 * top:
                best = (c, h, t, r, delta)
                break
        return best

    def _close_cluster(self, n: int) -> None:
        cl, self._cluster = self._cluster, []
        top = max(x[4] for x in cl)
        c, h, t, r, delta = min((x for x in cl if x[4] >= 0.9 * top), key=lambda x: abs(x[2] - 0.5))
        a, b = c - h, c + h
        lo, hi = max(0, c - 2 * h - 2), min(n - 1, c + 2 * h + 2)
        ts = np.empty(hi - lo + 1, np.float64)
        _mix_positions(self._ring, a, b, lo, hi, ts)
        start, end, _ = _ramp_fit_kernel(ts, lo, c - lo, 2)
        start, end = int(start), int(end)
        if not any(self._decoded[f % self._size] and 0.1 <= ts[f - lo] <= 0.9 for f in range(max(lo, start), min(hi + 1, end))):
            return  # no decoded frame is a mix, only filled-in ones: a cut between two decoded frames
        strength = self._score(max(0, start - 1), min(n - 1, end))
        self._add_event([start, end, "gradual", strength])

    # -- merging and output ----------------------------------------------------------

    def _add_event(self, ev: list) -> None:
        self._events.append(ev)
        self._events.sort(key=lambda e: (e[0], e[1]))

    def _all_dim(self, lo: int, hi: int, before: int, after: int) -> bool:
        """Frames lo..hi-1 are a hold of black, white or one colour, give or take the tail of a fade.

        Every frame has at most 0.3 of the contrast of frame ``before`` or ``after``, the
        higher (or is flat; the tail of a fade out of a busy picture into a plain one
        keeps a little of the busy one's), and at least a third of them (at least one) are flat: a dim shot
        with one flash frame in it is no hold. True for an empty range.
        """
        if hi <= lo:
            return True
        con = self._contrast
        size = self._size
        limit = max(FLAT_STD, 0.3 * max(con[max(0, before) % size], con[min(self._n - 1, after) % size]))
        flat = sum(1 for f in range(lo, hi) if self._flat[f % size])
        return all(con[f % size] <= limit for f in range(lo, hi)) and flat >= max(1, (hi - lo) / 3)

    def _merge(self) -> None:
        """One boundary for boundaries that touch, or that only short or dim frames separate."""
        evs = self._events
        i = 0
        while i + 1 < len(evs):
            e, f = evs[i], evs[i + 1]
            e_end = e[1] if e[2] == "gradual" else e[0]       # first frame after e
            f_end = f[1] if f[2] == "gradual" else f[0]
            gap = f[0] - e_end
            gradual = e[2] == "gradual" or f[2] == "gradual"
            merge = (gap <= 1 and gradual
                     or gradual and gap < self.min_shot_frames
                     or gap <= self._flat_gap and self._all_dim(e_end, f[0], e[0] - 1, f_end))
            if merge:
                start = min(e[0], f[0])
                end = max(e_end, f_end)
                strength = self._score(max(0, start - 1), min(self._n - 1, end))
                evs[i] = [start, end, "gradual", strength]
                del evs[i + 1]
                continue
            i += 1

    def _emit(self, final: bool) -> list[int]:
        self._merge()
        out: list[int] = []
        limit = self._n if final else self._n - self._horizon
        while self._events and (final or self._events[0][1] < limit and self._events[0][0] < limit):
            start, end, kind, strength = self._events.pop(0)
            if kind == "gradual":
                if self._first_content < 0 or self._first_content >= start:
                    continue  # fade in at the start: nothing before it
                if final and end > self._last_content and not self._events:
                    continue  # fade out at the end: nothing after it
                cut = (start + end) // 2
                if self.transitions and self.transitions[-1][1] > start:
                    continue
                self.transitions.append((start, end))
            else:
                cut = start
            if cut <= self._last_out:
                continue
            self._last_out = cut
            self.cut_strength[cut] = float(min(1.0, strength))
            out.append(cut)
        return out


@dataclass(frozen=True)
class SceneScan:
    """What ``verticalize scenes`` reports about a video (``verticalize.analysis.detect_scenes(..., details=True)``)."""

    fps: Fraction
    frame_count: int
    cuts: list[int]                                   # first frame of each new shot (a transition's midpoint)
    transitions: list[tuple[int, int]] = field(default_factory=list)   # gradual, (start, end) end exclusive
    flashes: list[tuple[int, int]] = field(default_factory=list)       # flash frames, not cuts
    cut_strength: dict[int, float] = field(default_factory=dict)
    vfr: bool = False
    times: list[Fraction] | None = None               # per-frame presentation time, s (always set for VFR)

    def time_of(self, frame: int) -> Fraction:
        """Presentation time of ``frame`` in seconds from the first frame (exact on VFR input)."""
        if self.times is not None:
            return self.times[frame] if frame < len(self.times) else self.times[-1] + (frame - len(self.times) + 1) / self.fps
        return Fraction(frame) / self.fps
