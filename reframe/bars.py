"""Letterbox and pillarbox bars: the static, uniform, dark borders around the active picture.

AutoFlip's border detection is the anchor: take the colour of the outermost line
of each edge, walk inward while each line stays uniformly that colour, and call
what was crossed a border. AutoFlip does this per frame, top and bottom only,
for any colour. Here:

* only dark edge colours count (``dark_level``): a white or coloured frame edge
  is picture, not a bar;
* all four edges (letterbox, pillarbox, windowbox);
* per shot, over time: a bar must be present on nearly every decoded frame of
  the shot and the picture must meet it at the same line on most of them
  ("stays put"), opposite bars must match (encoders pad symmetrically) and the
  line where the picture begins must be covered by picture along much of its
  length. A fade to black (every line dark: the frame is *blank* and is left
  out of the vote), a night sky (a band that is not uniform, or on one side
  only) or a title card on black (picture meets the "bar" in a few pixels only)
  are not bars;
* subtitles or a logo burned into one bar: that bar's corners (the outer fifth
  of each end of its lines) still measure it, when the opposite bar is clean
  and matches;
* a shot whose borders match the whole film's takes the film's bars (many more
  frames measured them), so a dark shot inside a letterboxed film keeps the
  film's bars and no shot of a film without bars gets any unless it shows its
  own clearly.

Boxes are ``(x0, y0, x1, y1)`` in analysis pixels, half-open, rounded inward
with a safety margin so the active box never holds a bar pixel. Scaling to
source pixels is the caller's job (``scale_box`` rounds inward again).
"""
from __future__ import annotations

import math

import numba
import numpy as np

TOP, BOTTOM, LEFT, RIGHT = 0, 1, 2, 3


@numba.njit(cache=True, nogil=True)
def _edge_pixel(edge, i, h, w):
    """(y, x) of pixel ``i`` along the outermost line of ``edge`` (TOP, BOTTOM, LEFT, RIGHT)."""
    if edge == TOP:
        return 0, i
    if edge == BOTTOM:
        return h - 1, i
    if edge == LEFT:
        return i, 0
    return i, w - 1


@numba.njit(cache=True, nogil=True)
def _line_mismatch(frame, seed, edge, k, tol, a, b):
    """Pixels a..b-1 of line ``k`` (counted inward from ``edge``; along the line left to right
    or top to bottom) farther than ``tol`` from ``seed`` in any channel, and the largest
    distance (any channel) of any of them; returns (mismatching count, largest distance)."""
    h, w, _ = frame.shape
    bad = 0
    worst = 0
    if edge <= 1:
        row = frame[k if edge == 0 else h - 1 - k]
        for x in range(a, b):
            d = max(abs(np.int32(row[x, 0]) - seed[0]), abs(np.int32(row[x, 1]) - seed[1]),
                    abs(np.int32(row[x, 2]) - seed[2]))
            if d > tol:
                bad += 1
            worst = max(worst, d)
        return bad, worst
    x = k if edge == 2 else w - 1 - k
    for y in range(a, b):
        d = max(abs(np.int32(frame[y, x, 0]) - seed[0]), abs(np.int32(frame[y, x, 1]) - seed[1]),
                abs(np.int32(frame[y, x, 2]) - seed[2]))
        if d > tol:
            bad += 1
        worst = max(worst, d)
    return bad, worst


@numba.njit(cache=True, nogil=True)
def _edge_depths_kernel(frame, dark_level, tol, hard_tol, max_bad_frac, max_frac, depths, coverage, seeds,
                        corners):
    """Per edge (top, bottom, left, right): how many lines from that edge are uniformly
    the edge's own dark colour.

    seed colour = per-channel median of the outermost line (0..255); an edge whose seed
    is brighter than ``dark_level`` in any channel has depth 0. A line matches when at
    most ``max_bad_frac`` of its pixels differ from the seed by more than ``tol`` in a
    channel and none by more than ``hard_tol`` (encoders ring a few levels into the bar
    next to bright picture; picture differs by far more somewhere along a line).
    ``depths[e]``: matching lines (0..dimension; the full dimension means every line
    matched: a blank frame). ``corners[e]`` (>= depths[e]): the same with only the outer
    fifth of each end of a line looked at: subtitles or a logo burned into a bar leave
    its corners alone. ``coverage[e]``: share (0..1) of mismatching
    pixels in the first line that did not match (0 when none). ``seeds[e]``: the seed
    (-1 when the outermost line is not mostly dark, which skips the median).

    Only the top edge is followed all the way (to tell a blank frame: then every depth
    is its full dimension); the others stop at ``max_frac`` (0..1) of their dimension
    plus one line, so a depth above that bound means "at least this".
    """
    h, w, _ = frame.shape
    for e in range(4):
        n = w if e <= 1 else h
        dim = h if e <= 1 else w
        depths[e] = 0
        corners[e] = 0
        # quick out: a bar line has (nearly) all pixels within tol of a dark seed
        dark = 0
        for i in range(n):
            y, x = _edge_pixel(e, i, h, w)
            if (frame[y, x, 0] <= dark_level + tol and frame[y, x, 1] <= dark_level + tol
                    and frame[y, x, 2] <= dark_level + tol):
                dark += 1
        if n - dark > max_bad_frac * n:
            coverage[e] = (n - dark) / n
            for c in range(3):
                seeds[e, c] = -1
            continue
        hist = np.zeros((3, 256), np.int32)  # per-channel median by counting (no sort)
        for i in range(n):
            y, x = _edge_pixel(e, i, h, w)
            for c in range(3):
                hist[c, frame[y, x, c]] += 1
        for c in range(3):
            acc = 0
            for v in range(256):
                acc += hist[c, v]
                if 2 * acc > n:
                    seeds[e, c] = v
                    break
        coverage[e] = 0.0
        if seeds[e, 0] > dark_level or seeds[e, 1] > dark_level or seeds[e, 2] > dark_level:
            bad, worst = _line_mismatch(frame, seeds[e], e, 0, tol, 0, n)
            coverage[e] = bad / n
            continue
        limit = dim if e == TOP else min(dim, int(max_frac * dim) + 1)
        k = 0
        while k < limit:
            bad, worst = _line_mismatch(frame, seeds[e], e, k, tol, 0, n)
            if bad > max_bad_frac * n or worst > hard_tol:
                coverage[e] = bad / n
                break
            k += 1
        depths[e] = k
        if e == TOP and k == h:  # blank: one uniform dark colour
            depths[1] = corners[1] = corners[0] = h
            depths[2] = depths[3] = corners[2] = corners[3] = w
            coverage[1] = coverage[2] = coverage[3] = 0.0
            break
        c = max(1, n // 5)
        limit = min(dim, int(max_frac * dim) + 1)
        while k < limit:
            bad1, worst1 = _line_mismatch(frame, seeds[e], e, k, tol, 0, c)
            bad2, worst2 = _line_mismatch(frame, seeds[e], e, k, tol, n - c, n)
            if bad1 + bad2 > max_bad_frac * 2 * c or max(worst1, worst2) > hard_tol:
                break
            k += 1
        corners[e] = max(k, depths[e])


def edge_depths(frame: np.ndarray, dark_level: int = 40, tol: int = 10, hard_tol: int = 32,
                max_bad_frac: float = 0.05, max_frac: float = 1.0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(depths int32[4], coverage float64[4], seeds int32[4, 3], corners int32[4]) of one RGB uint8 frame, edges
    in the order top, bottom, left, right; see ``_edge_depths_kernel``.

    ``dark_level``: brightest seed channel (0..255) a bar may have; ``tol``: colour
    tolerance of a bar line (0..255 per channel); ``max_bad_frac``: share (0..1) of a
    bar line's pixels allowed to differ by more (compression ringing), none by more
    than ``hard_tol`` (0..255); ``max_frac``: edges other
    than the top are followed to this share (0..1) of their dimension.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise ValueError("frame must be at least 2x2")
    depths = np.zeros(4, np.int32)
    coverage = np.zeros(4, np.float64)
    seeds = np.zeros((4, 3), np.int32)
    corners = np.zeros(4, np.int32)
    _edge_depths_kernel(np.ascontiguousarray(frame), int(dark_level), int(tol), int(hard_tol),
                        float(max_bad_frac), float(max_frac), depths, coverage, seeds, corners)
    return depths, coverage, seeds, corners


def scale_box(box: tuple[int, int, int, int], from_size: tuple[int, int],
              to_size: tuple[int, int], inward: bool = True) -> tuple[int, int, int, int]:
    """``box`` (x0, y0, x1, y1, half-open) from a ``from_size`` (w, h) frame to a ``to_size``
    (w, h) frame. ``inward`` (for an active picture box): rounded inward, so the result never
    reaches past the scaled box; ``inward=False`` (for a text box, kept whole): rounded
    outward, so it holds all of it. Clamped to the frame."""
    (fw, fh), (tw, th) = from_size, to_size
    if min(fw, fh, tw, th) <= 0:
        raise ValueError("sizes must be positive")
    sx, sy = tw / fw, th / fh
    eps = 1e-9  # 26 * 480 / 216 is 57.777..., 27 * 480 / 216 must stay 60, not 61
    lo, hi = (math.ceil, math.floor) if inward else (math.floor, math.ceil)
    e = eps if inward else -eps
    x0 = lo(box[0] * sx - e)
    y0 = lo(box[1] * sy - e)
    x1 = hi(box[2] * sx + e)
    y1 = hi(box[3] * sy + e)
    x0, y0 = max(0, x0), max(0, y0)
    return (x0, y0, min(tw, max(x1, x0)), min(th, max(y1, y0)))


class BorderDetector:
    """Streams analysis frames; answers the active picture box of a shot or of the film.

    ``process_frame`` takes frames in increasing source-frame order, any subset
    (the analysis decodes intra and P-frames only). 13 numbers per frame are kept
    (44 bytes), so a 2-hour film costs a few MB.

    Options (analysis pixels unless said):
      dark_level      brightest channel value of a bar colour, 0..255
      tol             colour tolerance within a bar line, 0..255
      max_bad_frac    share (0..1) of a bar line's pixels that may be farther than tol
                      (ringing next to bright picture) ...
      hard_tol        ... but none farther than this, 0..255
      min_bar_frac    smallest bar, share of its dimension (and never under 2 px)
      max_bar_frac    largest bar, share of its dimension (a 9:16 picture pillarboxed in
                      16:9 has bars of 0.34)
      quantile        the bar depth is this low quantile of the per-frame depths (0..1):
                      frames whose picture is dark at the bar make depths larger, never smaller
      settle_px       a frame "meets the bar" when its depth is within this of the bar
      stay_share      share of frames (0..1) that must meet the bar
      min_coverage    share (0..1) of the first picture line that must be picture on the
                      brighter frames (the 0.8 quantile over the frames that meet the bar)
      sym_frac        opposite bars may differ by this share of the larger (or 2 px)
      snap_px         a shot's bars within this of the film's take the film's (a shot shows
                      picture inside the film's bars only when it does by more than this)
      margin_px       inward safety margin on every side that has a bar
    """

    def __init__(self, width: int, height: int, *, dark_level: int = 40, tol: int = 10, hard_tol: int = 32,
                 max_bad_frac: float = 0.05,
                 min_bar_frac: float = 0.02, max_bar_frac: float = 0.4, quantile: float = 0.1,
                 settle_px: int = 2, stay_share: float = 0.5, min_coverage: float = 0.3,
                 sym_frac: float = 0.2, snap_px: int = 3, margin_px: int = 1):
        if width < 8 or height < 8:
            raise ValueError("frames must be at least 8x8")
        if not 0 <= dark_level <= 255 or not 0 <= tol <= hard_tol <= 255:
            raise ValueError("dark_level must be in 0..255 and 0 <= tol <= hard_tol <= 255")
        if not 0 <= max_bad_frac < 0.5:
            raise ValueError("max_bad_frac must be in [0, 0.5)")
        if not 0 <= min_bar_frac < max_bar_frac < 0.5:
            raise ValueError("need 0 <= min_bar_frac < max_bar_frac < 0.5")
        if not 0 <= quantile < 1 or not 0 < stay_share <= 1 or not 0 <= min_coverage <= 1:
            raise ValueError("quantile must be in [0, 1), stay_share in (0, 1], min_coverage in [0, 1]")
        self.width, self.height = int(width), int(height)
        self.dark_level, self.tol, self.hard_tol = int(dark_level), int(tol), int(hard_tol)
        self.max_bad_frac = float(max_bad_frac)
        self.min_bar_frac, self.max_bar_frac = float(min_bar_frac), float(max_bar_frac)
        self.quantile, self.settle_px, self.stay_share = float(quantile), int(settle_px), float(stay_share)
        self.min_coverage, self.sym_frac = float(min_coverage), float(sym_frac)
        self.snap_px, self.margin_px = int(snap_px), int(margin_px)
        self._n = 0  # frames processed; per frame: index, depths (4), corner depths (4), coverage (4)
        self._idx = np.zeros(1024, np.int64)
        self._depth = np.zeros((1024, 4), np.int32)
        self._corner = np.zeros((1024, 4), np.int32)
        self._cov = np.zeros((1024, 4), np.float32)
        self._film: tuple[int, int, int, int] | None = None  # film bars (top, bottom, left, right)
        self._d = np.zeros(4, np.int32)
        self._c = np.zeros(4, np.float64)
        self._s = np.zeros((4, 3), np.int32)
        self._k = np.zeros(4, np.int32)

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        """Measure one RGB uint8 ``(height, width, 3)`` frame, source frame number ``index``."""
        if self._n and index <= self._idx[self._n - 1]:
            raise ValueError("frames must arrive in increasing order")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.height}, {self.width}, 3) uint8")
        _edge_depths_kernel(np.ascontiguousarray(frame), self.dark_level, self.tol, self.hard_tol,
                            self.max_bad_frac, self.max_bar_frac, self._d, self._c, self._s, self._k)
        if self._n == len(self._idx):  # grow by doubling: 56 bytes a frame
            self._idx = np.concatenate([self._idx, np.zeros_like(self._idx)])
            self._depth = np.concatenate([self._depth, np.zeros_like(self._depth)])
            self._corner = np.concatenate([self._corner, np.zeros_like(self._corner)])
            self._cov = np.concatenate([self._cov, np.zeros_like(self._cov)])
        self._idx[self._n] = index
        self._depth[self._n] = self._d
        self._corner[self._n] = self._k
        self._cov[self._n] = self._c
        self._n += 1
        self._film = None

    def _span(self, start: int, end: int):
        """(depths, corner depths, coverage) of the non-blank decoded frames in [start, end), and
        how many frames were decoded there."""
        n = self._n
        idx = self._idx[:n]
        lo, hi = np.searchsorted(idx, start), np.searchsorted(idx, end)
        d, k, c = self._depth[lo:hi], self._corner[lo:hi], self._cov[lo:hi]
        keep = d[:, TOP] < self.height
        return d[keep], k[keep], c[keep], int(hi - lo)

    def frames_in(self, start: int, end: int) -> tuple[int, int]:
        """(decoded frames, blank frames) among source frames [start, end)."""
        d, _, _, n = self._span(start, end)
        return n, n - len(d)

    def is_blank(self, start: int, end: int) -> bool:
        """True when every decoded frame of [start, end) is one uniform dark colour (a fade
        to black, a black gap), or none was decoded: such a shot takes the film's box."""
        return len(self._span(start, end)[0]) == 0

    def _edges(self, d: np.ndarray, k: np.ndarray, c: np.ndarray, prior: tuple[int, int, int, int] | None):
        """Bar depth per edge (top, bottom, left, right) from per-frame depths ``d`` (n, 4),
        corner depths ``k`` (n, 4) and coverage ``c`` (n, 4); ``prior``: the film's bars."""
        dims = (self.height, self.height, self.width, self.width)
        raw, ok, raw_k, ok_k = [], [], [], []
        for e in range(4):
            lo = max(2, math.ceil(self.min_bar_frac * dims[e]))
            hi = self.max_bar_frac * dims[e]
            q = int(np.quantile(d[:, e], self.quantile, method="lower"))
            meets = d[:, e] <= q + self.settle_px
            stays = meets.mean() >= self.stay_share
            covered = float(np.quantile(c[meets, e], 0.8)) >= self.min_coverage
            raw.append(q if q >= lo else 0)
            ok.append(lo <= q <= hi and stays and covered)
            qk = int(np.quantile(k[:, e], self.quantile, method="lower"))
            raw_k.append(qk if qk >= lo else 0)
            ok_k.append(lo <= qk <= hi and (k[:, e] <= qk + self.settle_px).mean() >= self.stay_share)

        def sym(u, v):
            return abs(u - v) <= max(2, self.sym_frac * max(u, v))

        out = [0, 0, 0, 0]
        for a, b in ((TOP, BOTTOM), (LEFT, RIGHT)):
            vals = None
            if ok[a] and ok[b] and sym(raw[a], raw[b]):
                vals = {a: raw[a], b: raw[b]}
            else:  # one bar clean, the other with text or a logo in it: its corners are clean
                for x, y in ((a, b), (b, a)):
                    if ok[x] and ok_k[y] and raw_k[y] > raw[y] and sym(raw[x], raw_k[y]):
                        vals = {x: raw[x], y: raw_k[y]}
            if prior is not None and vals is not None and all(abs(vals[e] - prior[e]) <= self.snap_px
                                                               for e in (a, b)):
                vals = None
            if vals is not None:
                out[a], out[b] = vals[a], vals[b]
            elif prior is not None:  # the film's bars; less where this shot shows picture there
                for e in (a, b):
                    out[e] = prior[e] if raw_k[e] >= prior[e] - self.snap_px else raw_k[e]
        return out

    def _box(self, bars) -> tuple[int, int, int, int]:
        m = self.margin_px
        t, b, l, r = (v + m if v > 0 else 0 for v in bars)
        x0, x1 = l, self.width - r
        y0, y1 = t, self.height - b
        if x1 <= x0 or y1 <= y0:
            return (0, 0, self.width, self.height)
        return (x0, y0, x1, y1)

    def _film_bars(self) -> tuple[int, int, int, int]:
        if self._film is None:
            d, k, c, _ = self._span(-(1 << 62), 1 << 62)
            self._film = (0, 0, 0, 0) if len(d) == 0 else tuple(self._edges(d, k, c, None))
        return self._film

    def film_box(self) -> tuple[int, int, int, int]:
        """Active box (x0, y0, x1, y1) of the whole film, analysis pixels, half-open; the full
        frame when no bars were found (or nothing was processed)."""
        return self._box(self._film_bars())

    def active_box(self, start: int, end: int) -> tuple[int, int, int, int]:
        """Active box (x0, y0, x1, y1), analysis pixels, half-open, of source frames [start, end)
        (a shot). Shots whose bars match the film's (or that are blank) get the film's box."""
        d, k, c, _ = self._span(start, end)
        film_bars = self._film_bars()
        if len(d) == 0:
            return self.film_box()
        return self._box(self._edges(d, k, c, film_bars))
