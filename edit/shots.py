"""Hard-cut detection on low-resolution frames, in numba.

``ShotDetector.process_frame(index, frame) -> list[cut]`` is the streaming
interface: the driver feeds every frame once; cuts come back a few frames late
(the adaptive test needs neighbours on both sides) and ``flush()`` returns the
rest. A cut is the first frame of a new shot.

Content score of frame i against i-1, in 0..1: the mean of
  * half the L1 distance between normalised 16-bin per-channel histograms, and
  * the mean absolute difference of 8x8-block luma means, over 64.
A cut needs the score above ``min_score`` and above ``ratio`` times the mean
score of ``window`` neighbours on each side (as PySceneDetect's adaptive
detector does), and at least ``min_shot_frames`` since the previous cut.
"""
from __future__ import annotations

from collections import deque

import numba
import numpy as np

from edit.defaults import DEFAULTS

HIST_BINS = 16
BLOCK = 8


@numba.njit(cache=True, nogil=True)
def _frame_features_kernel(frame, hist, blocks):
    """Fill ``hist`` (3*HIST_BINS, normalised) and ``blocks`` (luma block means) from an RGB frame."""
    h, w, _ = frame.shape
    hist[:] = 0.0
    blocks[:, :] = 0.0
    bh, bw = blocks.shape
    shift = 8 - 4  # 256 levels -> 16 bins
    for y in range(h):
        by = min(y // BLOCK, bh - 1)
        for x in range(w):
            r = frame[y, x, 0]
            g = frame[y, x, 1]
            b = frame[y, x, 2]
            hist[r >> shift] += 1.0
            hist[HIST_BINS + (g >> shift)] += 1.0
            hist[2 * HIST_BINS + (b >> shift)] += 1.0
            blocks[by, min(x // BLOCK, bw - 1)] += 0.299 * r + 0.587 * g + 0.114 * b
    n = float(h * w)
    for i in range(hist.shape[0]):
        hist[i] /= n
    per_block = float(BLOCK * BLOCK)
    for i in range(bh):
        for j in range(bw):
            blocks[i, j] /= per_block


@numba.njit(cache=True, nogil=True)
def _content_score_kernel(hist_a, hist_b, blocks_a, blocks_b):
    d_hist = 0.0
    for i in range(hist_a.shape[0]):
        d_hist += abs(hist_a[i] - hist_b[i])
    d_hist /= 6.0  # three channels, each L1 in 0..2
    d_block = 0.0
    bh, bw = blocks_a.shape
    for i in range(bh):
        for j in range(bw):
            d_block += abs(blocks_a[i, j] - blocks_b[i, j])
    d_block = min(1.0, d_block / (bh * bw) / 64.0)
    return 0.5 * (d_hist + d_block)


def frame_features(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Histogram and block-luma features of an RGB uint8 frame (h, w, 3), h and w >= 8."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    h, w, _ = frame.shape
    if h < BLOCK or w < BLOCK:
        raise ValueError(f"frame must be at least {BLOCK}x{BLOCK}")
    hist = np.zeros(3 * HIST_BINS, np.float64)
    blocks = np.zeros((h // BLOCK, w // BLOCK), np.float64)
    _frame_features_kernel(np.ascontiguousarray(frame), hist, blocks)
    return hist, blocks


def content_score(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Content change between two frames' features, 0 (same) .. 1 (nothing alike)."""
    return float(_content_score_kernel(a[0], b[0], a[1], b[1]))


class ShotDetector:
    """Streaming adaptive hard-cut detector. Scores are kept (one float per frame) for the plan."""

    def __init__(self, fps: float, min_score: float = DEFAULTS.shot_min_score,
                 ratio: float = DEFAULTS.shot_ratio, window: int = DEFAULTS.shot_window_frames,
                 min_shot_s: float = DEFAULTS.min_shot_s):
        if min_score <= 0 or ratio <= 1 or window < 1:
            raise ValueError("min_score > 0, ratio > 1 and window >= 1 are required")
        self.min_score = min_score
        self.ratio = ratio
        self.window = window
        self.min_shot_frames = max(1, int(round(min_shot_s * fps)))
        self.scores: list[float] = []
        self._prev = None
        self._pending: deque[int] = deque()
        self._last_cut = 0

    def process_frame(self, index: int, frame: np.ndarray) -> list[int]:
        """Feed frame ``index`` (0, 1, 2, ... in order). Returns cuts now decided."""
        if index != len(self.scores):
            raise ValueError(f"frames must arrive in order: expected {len(self.scores)}, got {index}")
        feats = frame_features(frame)
        self.scores.append(0.0 if self._prev is None else content_score(self._prev, feats))
        self._prev = feats
        self._pending.append(index)
        return self._decide(final=False)

    def flush(self) -> list[int]:
        """Decide the frames still waiting for right-hand neighbours."""
        return self._decide(final=True)

    def _decide(self, final: bool) -> list[int]:
        cuts = []
        n = len(self.scores)
        while self._pending and (final or self._pending[0] + self.window < n):
            i = self._pending.popleft()
            if i == 0:
                continue
            s = self.scores[i]
            if s < self.min_score or i - self._last_cut < self.min_shot_frames:
                continue
            lo, hi = max(1, i - self.window), min(n, i + self.window + 1)
            neigh = [self.scores[j] for j in range(lo, hi) if j != i]
            mean = sum(neigh) / len(neigh) if neigh else 0.0
            # the peak must dominate its neighbourhood and be its local maximum
            if s >= self.ratio * mean and all(s >= self.scores[j] for j in range(lo, hi)):
                cuts.append(i)
                self._last_cut = i
        return cuts


def detect_cuts(frames, fps: float, **kwargs) -> list[int]:
    """Cuts of an iterable of RGB frames; convenience wrapper over ShotDetector."""
    det = ShotDetector(fps, **kwargs)
    cuts: list[int] = []
    for i, f in enumerate(frames):
        cuts += det.process_frame(i, f)
    return cuts + det.flush()
