"""Burned-in text (titles, credits, signs, captions) on low-resolution analysis frames.

A stroke detector: letters are thin, high-contrast strokes, so a row crossing a
word meets many short runs bounded by a strong edge on each side, of opposite
signs (bright stroke on dark, or dark on bright), and so does a column. Per
small cell (``cell_px`` square) the kernel counts such stroke crossings along
rows and along columns; a cell is *dense* when it holds enough of both. Dense
cells are joined into connected components with a one-cell horizontal gap
closed (a text line: letters and the spaces between words), and a component
is a text line when it is wide for its height and filled.

Texture (grass, foliage, water) is dense too; what it is not:

* high contrast at stroke scale in both directions with the same edges frame
  after frame: burned-in text stands still, so a cell counts only when most of
  its stroke edges are where they were in the previous decoded frame;
* of one polarity: a line's strokes are nearly all light on dark or all dark on
  light, where texture mixes both;
* line-shaped: grass fills the frame in blobs, text comes in lines a few cells
  tall and many wide, and a shot's text block is at least ``min_line_frac`` of
  the frame wide (narrower text fits any crop);
* present on a good share of the shot's frames.

Big titles (letters taller than about 15 analysis px, strokes wider than
``max_stroke_px``) are small text in the luma shrunk 2, 3 and 4 times: the same
kernel runs there too, and each line is fitted back to the analysis frame's
still edges so its box holds the whole title (see ``TextDetector``).

Boxes are ``(x0, y0, x1, y1)``, half-open, in analysis pixels.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _luma_kernel(frame, luma):
    """luma (h, w) int32 = (77 R + 150 G + 29 B) / 256, 0..255, of an RGB uint8 ``frame``."""
    h, w, _ = frame.shape
    for y in range(h):
        for x in range(w):
            luma[y, x] = (77 * np.int32(frame[y, x, 0]) + 150 * np.int32(frame[y, x, 1])
                          + 29 * np.int32(frame[y, x, 2])) >> 8


@numba.njit(cache=True, nogil=True)
def _shrink_kernel(src, factor, dst):
    """dst (h // factor, w // factor) = the rounded mean of each factor x factor block of
    ``src`` (int32 luma); rows and columns past the last whole block are left out."""
    n = factor * factor
    if factor == 2:  # the common case, unrolled
        for y in range(dst.shape[0]):
            for x in range(dst.shape[1]):
                dst[y, x] = (src[2 * y, 2 * x] + src[2 * y, 2 * x + 1] + src[2 * y + 1, 2 * x]
                             + src[2 * y + 1, 2 * x + 1] + 2) >> 2
        return
    if factor == 3:
        for y in range(dst.shape[0]):
            r0, r1, r2 = 3 * y, 3 * y + 1, 3 * y + 2
            for x in range(dst.shape[1]):
                c0 = 3 * x
                acc = (src[r0, c0] + src[r0, c0 + 1] + src[r0, c0 + 2] + src[r1, c0] + src[r1, c0 + 1]
                       + src[r1, c0 + 2] + src[r2, c0] + src[r2, c0 + 1] + src[r2, c0 + 2])
                dst[y, x] = (acc + 4) // 9
        return
    for y in range(dst.shape[0]):
        for x in range(dst.shape[1]):
            acc = 0
            for yy in range(y * factor, (y + 1) * factor):
                for xx in range(x * factor, (x + 1) * factor):
                    acc += src[yy, xx]
            dst[y, x] = (acc + n // 2) // n


@numba.njit(cache=True, nogil=True)
def _stroke_cells_kernel(luma, cell, contrast, max_stroke, min_strokes, prev_edges, edges, counts):
    """Stroke crossings per cell of a luma frame (h, w) int32, 0..255.

    A horizontal edge at (y, x) is
    |luma[y, x+1] - luma[y, x]| >= contrast (sign kept); a row stroke is a rising
    edge followed within ``max_stroke`` pixels by a falling one (or falling then
    rising), counted at the cell of its first edge; columns likewise. Consecutive edge
    pixels of one sign (an antialiased ramp) are one edge, at its first pixel. ``edges``
    (h, w, uint8) gets this frame's edge code per pixel (bit 0/1: rising/falling
    along the row, bit 2/3: along the column); ``prev_edges`` is the previous
    frame's (all 255: none).

    counts[cy, cx, 0]: row strokes; [.., 1]: column strokes;
    [.., 4]: bright strokes (rising then falling: light on dark) among 0 and 1;
    only in cells with at least ``min_strokes`` strokes (0 elsewhere): [.., 2]: edge
    pixels; [.., 3]: edge pixels with an edge of the same kind (a shared bit) in the previous
    frame within one pixel (burned-in text stays put; a slow zoom or compression
    jitter moves edges by a pixel at most).
    """
    h, w = luma.shape
    gh, gw = counts.shape[0], counts.shape[1]
    counts[:] = 0
    col_last = np.full(w, -1000, np.int32)  # per column: row of the open edge, its sign
    col_sign = np.zeros(w, np.int32)
    for y in range(h):
        cy = min(y // cell, gh - 1)
        last_x = -1000
        last_s = 0
        prev_s = 0  # sign of the edge at x - 1 (a ramp over several pixels is one edge)
        for x in range(w):
            code = 0
            if x < w - 1:  # along the row
                d = luma[y, x + 1] - luma[y, x]
                sgn = 0
                if d >= contrast or d <= -contrast:
                    sgn = 1 if d > 0 else -1
                    code |= 1 if sgn > 0 else 2
                if sgn != 0 and sgn != prev_s:
                    if sgn == -last_s and x - last_x <= max_stroke:
                        cx = min(last_x // cell, gw - 1)
                        counts[cy, cx, 0] += 1
                        if last_s > 0:
                            counts[cy, cx, 4] += 1
                        last_s = 0
                    else:
                        last_s = sgn
                        last_x = x
                prev_s = sgn
            if y < h - 1:  # along the column (state per column: row-major order)
                d = luma[y + 1, x] - luma[y, x]
                sgn = 0
                if d >= contrast or d <= -contrast:
                    sgn = 1 if d > 0 else -1
                    code |= 4 if sgn > 0 else 8
                above = 0
                if y > 0:
                    above = 1 if edges[y - 1, x] & 4 else (-1 if edges[y - 1, x] & 8 else 0)
                if sgn != 0 and sgn != above:
                    if sgn == -col_sign[x] and y - col_last[x] <= max_stroke:
                        cyy = min(col_last[x] // cell, gh - 1)
                        cx = min(x // cell, gw - 1)
                        counts[cyy, cx, 1] += 1
                        if col_sign[x] > 0:
                            counts[cyy, cx, 4] += 1
                        col_sign[x] = 0
                    else:
                        col_sign[x] = sgn
                        col_last[x] = y
            edges[y, x] = code
    # edge pixels and their stability, in candidate cells only
    for cy in range(gh):
        for cx in range(gw):
            if counts[cy, cx, 0] + counts[cy, cx, 1] < min_strokes:
                continue
            y_end = h if cy == gh - 1 else (cy + 1) * cell
            x_end = w if cx == gw - 1 else (cx + 1) * cell
            for y in range(cy * cell, y_end):
                for x in range(cx * cell, x_end):
                    e = edges[y, x]
                    if e == 0:
                        continue
                    counts[cy, cx, 2] += 1
                    found = False
                    for yy in range(max(0, y - 1), min(h, y + 2)):
                        for xx in range(max(0, x - 1), min(w, x + 2)):
                            p = prev_edges[yy, xx]
                            if p != 255 and (p & e) != 0:
                                found = True
                    if found:
                        counts[cy, cx, 3] += 1


@numba.njit(cache=True, nogil=True)
def _components_kernel(dense, gap, labels, boxes):
    """Label 8-connected components of ``dense`` (gh, gw bool) after closing horizontal gaps
    of up to ``gap`` cells; writes (cy0, cx0, cy1, cx1, dense cells) per component into
    ``boxes`` (half-open, cells) and returns the number of components (at most len(boxes))."""
    gh, gw = dense.shape
    grid = dense.copy()
    for cy in range(gh):
        last = -1
        for cx in range(gw):
            if dense[cy, cx]:
                if last >= 0 and 1 < cx - last <= gap + 1:
                    for k in range(last + 1, cx):
                        grid[cy, k] = True
                last = cx
    for cy in range(gh):
        for cx in range(gw):
            labels[cy, cx] = -1
    n = 0
    stack = np.empty((gh * gw, 2), np.int32)
    for sy in range(gh):
        for sx in range(gw):
            if not grid[sy, sx] or labels[sy, sx] >= 0:
                continue
            if n >= boxes.shape[0]:
                return n
            y0, x0, y1, x1, cnt = sy, sx, sy + 1, sx + 1, 0
            top = 0
            stack[0, 0], stack[0, 1] = sy, sx
            labels[sy, sx] = n
            top = 1
            while top > 0:
                top -= 1
                y, x = stack[top, 0], stack[top, 1]
                if dense[y, x]:
                    cnt += 1
                y0, x0 = min(y0, y), min(x0, x)
                y1, x1 = max(y1, y + 1), max(x1, x + 1)
                for dy in range(-1, 2):
                    for dx in range(-1, 2):
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < gh and 0 <= xx < gw and grid[yy, xx] and labels[yy, xx] < 0:
                            labels[yy, xx] = n
                            stack[top, 0], stack[top, 1] = yy, xx
                            top += 1
            boxes[n, 0], boxes[n, 1], boxes[n, 2], boxes[n, 3], boxes[n, 4] = y0, x0, y1, x1, cnt
            n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _dense_kernel(counts, min_strokes, min_stable, first, radius, dense):
    """dense[cy, cx]: the cell (see ``_stroke_cells_kernel`` for ``counts``) has at least
    ``min_strokes`` row + column strokes, row and column strokes both within ``radius`` cells
    of it (0: in itself), and, unless ``first``, at least ``min_stable`` (0..1) of its edge
    pixels where the previous frame had them."""
    gh, gw = dense.shape
    for cy in range(gh):
        for cx in range(gw):
            r, c = counts[cy, cx, 0], counts[cy, cx, 1]
            ok = r + c >= min_strokes and (first or counts[cy, cx, 3] >= min_stable * counts[cy, cx, 2])
            if ok and radius > 0:
                any_r, any_c = r > 0, c > 0
                for yy in range(max(0, cy - radius), min(gh, cy + radius + 1)):
                    for xx in range(max(0, cx - radius), min(gw, cx + radius + 1)):
                        any_r = any_r or counts[yy, xx, 0] > 0
                        any_c = any_c or counts[yy, xx, 1] > 0
                ok = any_r and any_c
            elif ok:
                ok = r > 0 and c > 0
            dense[cy, cx] = ok


def luma_planes(frame: np.ndarray, factors: tuple[int, ...] = (1,)) -> list[np.ndarray]:
    """Luma of an RGB uint8 frame, (77 R + 150 G + 29 B) / 256 as int32, shrunk by each of
    ``factors``: plane k is (h // f, w // f), the rounded mean of f x f blocks (f = 1: the luma)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    if any(f < 1 or frame.shape[0] < f or frame.shape[1] < f for f in factors):
        raise ValueError("factors must be >= 1 and no larger than the frame")
    luma = np.empty(frame.shape[:2], np.int32)
    _luma_kernel(np.ascontiguousarray(frame), luma)
    out = []
    for f in factors:
        if f == 1:
            out.append(luma)
            continue
        out.append(np.empty((luma.shape[0] // f, luma.shape[1] // f), np.int32))
        _shrink_kernel(luma, int(f), out[-1])
    return out


def stroke_cells(frame: np.ndarray, prev_edges: np.ndarray | None = None, *, cell_px: int = 4,
                 contrast: int = 60, max_stroke_px: int = 5, min_strokes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(counts int32 (h // cell_px, w // cell_px, 5), edge codes uint8 (h, w)) of one RGB uint8
    frame or one (h, w) int32 luma plane (0..255, e.g. a ``luma_planes`` plane); see
    ``_stroke_cells_kernel``. ``contrast``: luma step (1..255) of a stroke edge;
    ``max_stroke_px``: widest stroke (pixels); ``prev_edges``: the previous frame's edge codes."""
    if frame.ndim == 3:
        luma = luma_planes(frame)[0]
    elif frame.ndim == 2 and frame.dtype == np.int32:
        luma = np.ascontiguousarray(frame)
    else:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array or an (h, w) int32 luma plane")
    h, w = luma.shape
    if cell_px < 1 or h < cell_px or w < cell_px:
        raise ValueError("cell_px must be >= 1 and no larger than the frame")
    if not 1 <= contrast <= 255 or max_stroke_px < 1:
        raise ValueError("contrast must be in 1..255 and max_stroke_px >= 1")
    prev = np.full((h, w), 255, np.uint8) if prev_edges is None else np.ascontiguousarray(prev_edges, np.uint8)
    if prev.shape != (h, w):
        raise ValueError("prev_edges must be (h, w)")
    edges = np.zeros((h, w), np.uint8)
    counts = np.zeros((h // cell_px, w // cell_px, 5), np.int32)
    _stroke_cells_kernel(luma, int(cell_px), int(contrast), int(max_stroke_px),
                         int(min_strokes), prev, edges, counts)
    return counts, edges


def components(dense: np.ndarray, gap: int = 1, max_components: int = 256) -> np.ndarray:
    """Connected components of a boolean cell grid (8-connected, horizontal gaps of up to
    ``gap`` cells closed): int32 (n, 5) rows (cy0, cx0, cy1, cx1, dense cells), half-open."""
    dense = np.ascontiguousarray(dense, dtype=np.bool_)
    if dense.ndim != 2:
        raise ValueError("dense must be 2-D")
    labels = np.empty(dense.shape, np.int32)
    boxes = np.zeros((max_components, 5), np.int32)
    n = _components_kernel(dense, int(gap), labels, boxes)
    return boxes[:n]


def _grow(good: np.ndarray, lo: int, hi: int, gap: int) -> tuple[int, int]:
    """Extent [a, b) of the ``good`` indices reached from the core [lo, hi) in steps shorter than
    ``gap`` + 1 (outward), shrunk to the outermost good ones; the core itself without any."""
    idx = np.flatnonzero(good)
    if not len(idx):
        return lo, hi
    a, b = lo, hi
    while True:  # outward, one reachable good index at a time
        left = idx[(idx < a) & (idx >= a - gap)]
        right = idx[(idx >= b) & (idx < b + gap)]
        if not len(left) and not len(right):
            break
        a = int(left.min()) if len(left) else a
        b = int(right.max()) + 1 if len(right) else b
    inside = idx[(idx >= a) & (idx < b)]
    return (int(inside.min()), int(inside.max()) + 1) if len(inside) else (lo, hi)


_NO_LINES = np.zeros((0, 4), np.int32)  # shared by every frame without text (read only)
_NO_LINES.flags.writeable = False


class TextDetector:
    """Streams analysis frames; answers the burned-in text lines of a shot.

    ``process_frame`` takes frames in increasing source-frame order, any subset.
    Per frame only the accepted line boxes are kept (a few a frame at most).

    Several scales: the same stroke detector runs on the frame's luma and on the luma
    shrunk by each further factor of ``scales`` (f x f block means), in that plane's own
    pixels, so a title whose strokes are too wide for ``max_stroke_px`` and whose letters
    span too many cells at analysis size (letters taller than about 15 px, up to a quarter
    of the frame) is small text in a shrunk plane. Each plane keeps its own previous edges
    for the stability test. In the shrunk planes (coarse: scale > 1) a big letter's stems
    and bars fall in different cells, so a dense cell needs row and column strokes within
    its 3 x 3 cells rather than in itself, and a line must be ``coarse_min_height_cells``
    tall and cross ``coarse_strokes_per_cell`` strokes per cell of its width (a curved rim or
    a lone edge is thinner and sparser). A line of any scale is kept in cells of the first
    scale, where the scales' lines are merged as lines of one frame, and fitted to the
    frame's still edges at analysis size around it (``fit_lines``), so a coarse cell
    neither cuts a letter off nor adds its width; ``text_boxes`` gives the fitted extent.

    Options (analysis pixels unless said; in the shrunk planes, in their own pixels and cells):
      cell_px         cell size
      contrast        luma step of a stroke edge, 1..255 (60: titles and captions are far
                      brighter or darker than what is behind them; at 40 grass and gravel pass)
      max_stroke_px   widest stroke
      min_strokes     row + column stroke crossings that make a cell dense (each >= 1)
      min_stable      share (0..1) of a cell's edge pixels that must be where they were in the
                      previous decoded frame (burned-in text stands still)
      gap_cells       widest gap (cells) between dense cells of one line (word spaces)
      min_width_cells narrowest text line, cells (small text fits any crop; small boxes are
                      where texture passes for text)
      min_aspect      a line is at least this many times as wide as tall
      min_fill        share (0..1) of a line's box that must be dense cells
      min_polarity    share (0..1) of a line's strokes that must be of one kind, light on
                      dark or dark on light (letters are; texture mixes both)
      min_share       share (0..1) of a shot's decoded frames a line must be on (and >= 2 frames)
      min_line_frac   narrowest text block of a shot, share (0..1) of the frame width (8%: a
                      quarter of a 9:16 crop of 16:9; narrower text fits any crop)
      scales          shrink factors, starting at 1 (the analysis frame); a scale whose
                      grid would be under 4 cells each way is not run
      coarse_max_stroke_px      widest stroke in the shrunk planes (heavy titles: a Black
                                weight's stems are about a fifth of its letters' height)
      coarse_min_height_cells   lowest line in the shrunk planes, cells
      coarse_strokes_per_cell   fewest strokes per cell of a line's width in the shrunk planes
      fit_stable      share (0..1) of a column's (row's) edge pixels that must have stood still
                      since the previous frame for the column to hold text (see ``fit_lines``)
      every           ``wants`` asks for one frame in each run of this many source frames
                      (e.g. round(fps / 4): four a second are plenty for text)
    """

    def __init__(self, width: int, height: int, *, cell_px: int = 4, contrast: int = 60,
                 max_stroke_px: int = 5, min_strokes: int = 4, min_stable: float = 0.5,
                 gap_cells: int = 3, min_width_cells: int = 5, min_aspect: float = 1.5, min_fill: float = 0.3,
                 min_polarity: float = 0.7, min_share: float = 0.25, min_line_frac: float = 0.08,
                 scales: tuple[int, ...] = (1, 2, 3, 4), coarse_max_stroke_px: int = 7,
                 coarse_min_height_cells: int = 2, coarse_strokes_per_cell: float = 4.0, fit_stable: float = 0.5, every: int = 1):
        if width < 4 * cell_px or height < 4 * cell_px:
            raise ValueError("frames must be at least 4 cells each way")
        if not 0 <= min_stable <= 1 or not 0 <= min_fill <= 1 or not 0 < min_share <= 1:
            raise ValueError("min_stable and min_fill must be in [0, 1], min_share in (0, 1]")
        if not scales or scales[0] != 1 or any(b <= a for a, b in zip(scales, scales[1:])):
            raise ValueError("scales must start at 1 and increase")
        if max_stroke_px < 1 or coarse_max_stroke_px < 1:
            raise ValueError("max_stroke_px and coarse_max_stroke_px must be >= 1")
        self.width, self.height = int(width), int(height)
        self.cell = int(cell_px)
        self.contrast, self.max_stroke = int(contrast), int(max_stroke_px)
        self.min_strokes, self.min_stable = int(min_strokes), float(min_stable)
        self.min_width, self.min_aspect, self.min_fill = int(min_width_cells), float(min_aspect), float(min_fill)
        self.min_share, self.min_polarity = float(min_share), float(min_polarity)
        self.gap = int(gap_cells)
        self.coarse_max_stroke, self.coarse_min_height = int(coarse_max_stroke_px), int(coarse_min_height_cells)
        self.coarse_strokes_per_cell = float(coarse_strokes_per_cell)
        if not 0 <= fit_stable <= 1:
            raise ValueError("fit_stable must be in [0, 1]")
        self.fit_stable = float(fit_stable)
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = int(every)
        self._due = 0
        self.min_line_frac = float(min_line_frac)
        self.gh, self.gw = self.height // self.cell, self.width // self.cell
        # per scale: luma plane, edge codes of this and the previous frame, stroke counts, labels
        self.scales = tuple(int(f) for f in scales
                            if self.height // f >= 4 * self.cell and self.width // f >= 4 * self.cell)
        sizes = [(self.height // f, self.width // f) for f in self.scales]
        self._luma = [np.empty(hw, np.int32) for hw in sizes]
        self._prev = [np.full(hw, 255, np.uint8) for hw in sizes]
        self._edges = [np.zeros(hw, np.uint8) for hw in sizes]
        self._counts = [np.zeros((h // self.cell, w // self.cell, 5), np.int32) for h, w in sizes]
        self._dense = [np.zeros((h // self.cell, w // self.cell), np.bool_) for h, w in sizes]
        self._labels = [np.empty((h // self.cell, w // self.cell), np.int32) for h, w in sizes]
        self._boxes = np.zeros((256, 5), np.int32)
        self.indices: list[int] = []
        # per decoded frame: int32 (k, 4) cell boxes (cy0, cx0, cy1, cx1) in cells of the first
        # scale, as found (``lines``) and fitted to the frame's edges (``fitted``, same rows; empty,
        # (gh, gw, 0, 0), where the line could not be fitted: see ``fit_lines``)
        self.lines: list[np.ndarray] = []
        self.fitted: list[np.ndarray] = []

    def dense_cells(self, counts: np.ndarray, first: bool, level: int = 0) -> np.ndarray:
        """Boolean (gh, gw) grid of text-like cells from ``counts`` (see ``stroke_cells``) of
        scale number ``level`` (0: the analysis frame; others look for row and column strokes
        within 3 x 3 cells); ``first``: no previous frame (no stability test)."""
        counts = np.ascontiguousarray(counts, dtype=np.int32)
        dense = np.empty(counts.shape[:2], np.bool_)
        _dense_kernel(counts, self.min_strokes, self.min_stable, bool(first), 1 if level else 0, dense)
        return dense

    def frame_lines(self, dense: np.ndarray, counts: np.ndarray, level: int = 0) -> np.ndarray:
        """int32 (k, 4) cell boxes (cy0, cx0, cy1, cx1) of the text lines in a dense-cell grid of
        scale number ``level`` (``counts``: its stroke counts, for the lines' polarity and
        strokes), in that scale's cells."""
        if not dense.any():
            return _NO_LINES
        labels = self._labels[level]
        n = _components_kernel(np.ascontiguousarray(dense), self.gap, labels, self._boxes)
        if n == 0:
            return _NO_LINES
        b = self._boxes[:n]
        hgt, wid = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        ok = (wid >= self.min_width) & (wid >= self.min_aspect * hgt) & (b[:, 4] >= self.min_fill * hgt * wid)
        if level:
            ok &= hgt >= self.coarse_min_height
        if not ok.any():  # most frames: no line-shaped component, no stroke sums needed
            return _NO_LINES
        lab = np.where(dense, labels, n).ravel()
        strokes = (counts[..., 0] + counts[..., 1]).ravel()
        bright = np.bincount(lab, counts[..., 4].ravel(), n + 1)[:n]
        total = np.bincount(lab, strokes, n + 1)[:n]
        ok &= np.maximum(bright, total - bright) >= self.min_polarity * np.maximum(total, 1)
        if level:
            ok &= total >= self.coarse_strokes_per_cell * wid
        return b[ok, :4].copy() if ok.any() else _NO_LINES

    def fit_lines(self, lines: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell boxes of scale number ``level`` -> (the same boxes, the boxes fitted to this
        frame's text edges at analysis size), both in cells of the first scale, rounded outward.

        Strokes are counted in the cell of their first edge and an end letter's cells need not
        be dense, so a line's letters can reach past its dense cells: the fit looks one cell
        above and below and the line's height (a letter) to each side. A column (row) holds
        text when at least ``fit_stable`` of its edge pixels there have an edge of the same
        kind at the same pixel in the previous frame (burned-in text stands still; moving
        texture or grain rarely does); from the line's own cells the fit grows over such
        columns (rows) with gaps of less than one cell of the line's scale, then shrinks to
        the outermost ones. Over a still textured picture it is the whole search area. No fit,
        (gh, gw, 0, 0), on the first frame and where fewer than ``min_stable`` of the line's own
        edge pixels stood still (the previous frame was another picture: a cut, a fade)."""
        edges, prev, c, f = self._edges[0], self._prev[0], self.cell, self.scales[level]
        h, w = edges.shape
        gh, gw = self._counts[level].shape[:2]
        raw = np.empty((len(lines), 4), np.int32)
        out = np.empty((len(lines), 4), np.int32)
        for k, (cy0, cx0, cy1, cx1) in enumerate(lines):
            side = max(1, cy1 - cy0)
            y0, x0 = max(0, (cy0 - 1) * c * f), max(0, (cx0 - side) * c * f)
            y1 = h if cy1 + 1 >= gh else min(h, (cy1 + 1) * c * f)
            x1 = w if cx1 + side >= gw else min(w, (cx1 + side) * c * f)
            ly0, ly1 = cy0 * c * f - y0, min(h, cy1 * c * f) - y0  # the line's own rows, columns
            lx0, lx1 = cx0 * c * f - x0, min(w, cx1 * c * f) - x0
            code = edges[y0:y1, x0:x1]
            on, still = code != 0, (code & prev[y0:y1, x0:x1]) != 0
            raw[k] = (cy0 * f, cx0 * f, self.gh if cy1 >= gh else min(self.gh, cy1 * f),
                      self.gw if cx1 >= gw else min(self.gw, cx1 * f))
            if not self.indices or still[ly0:ly1, lx0:lx1].sum() < self.min_stable * on[ly0:ly1, lx0:lx1].sum():
                out[k] = (self.gh, self.gw, 0, 0)  # not the previous frame's picture (a cut): no fit
                continue
            n_on, n_still = on.sum(axis=0), still.sum(axis=0)
            a, b = _grow((n_still > 0) & (n_still >= self.fit_stable * n_on), lx0, lx1, c * f)
            n_on, n_still = on[:, a:b].sum(axis=1), still[:, a:b].sum(axis=1)
            # an edge at x is the step from pixel x to x + 1: both may be the letter's
            ya, yb = _grow((n_still > 0) & (n_still >= self.fit_stable * n_on), ly0, ly1, c * f)
            fy0, fy1, fx0, fx1 = y0 + ya, min(h, y0 + yb + 1), x0 + a, min(w, x0 + b + 1)
            out[k] = (fy0 // c, fx0 // c, min(self.gh, -(-fy1 // c)), min(self.gw, -(-fx1 // c)))
        return raw, out

    def wants(self, index: int) -> bool:
        """Whether frame ``index`` is due: at most one frame in each run of ``every`` source
        frames is needed (text stays on screen for seconds; a caller may skip the rest)."""
        return index >= self._due

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        """Measure one RGB uint8 ``(height, width, 3)`` frame, source frame number ``index``."""
        if self.indices and index <= self.indices[-1]:
            raise ValueError("frames must arrive in increasing order")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.height}, {self.width}, 3) uint8")
        _luma_kernel(np.ascontiguousarray(frame), self._luma[0])
        found, fitted = [], []
        for k, f in enumerate(self.scales):
            if f > 1:  # from the largest earlier plane whose scale divides f (4 from 2)
                j = max(i for i in range(k) if f % self.scales[i] == 0)
                _shrink_kernel(self._luma[j], f // self.scales[j], self._luma[k])
            _stroke_cells_kernel(self._luma[k], self.cell, self.contrast,
                                 self.coarse_max_stroke if f > 1 else self.max_stroke,
                                 self.min_strokes, self._prev[k], self._edges[k], self._counts[k])
            _dense_kernel(self._counts[k], self.min_strokes, self.min_stable, not self.indices,
                          1 if f > 1 else 0, self._dense[k])
            lines = self.frame_lines(self._dense[k], self._counts[k], k)
            if len(lines):
                raw, fit = self.fit_lines(lines, k)  # on this frame's edges: before the swap below
                found.append(raw)
                fitted.append(fit)
        self._prev, self._edges = self._edges, self._prev
        lines = np.concatenate(found) if found else _NO_LINES
        fitted = np.concatenate(fitted) if fitted else _NO_LINES
        self.indices.append(int(index))
        self.lines.append(lines)
        self.fitted.append(fitted)
        self._due = (index // self.every + 1) * self.every

    def _to_px(self, b) -> tuple[int, int, int, int]:
        """Cell box -> pixel box, one cell wider on every side (a letter's edge can fall in a
        cell that is not dense), clamped to the frame."""
        c = self.cell
        x1 = self.width if b[3] + 1 >= self.gw else (b[3] + 1) * c
        y1 = self.height if b[2] + 1 >= self.gh else (b[2] + 1) * c
        return (int(max(0, b[1] - 1) * c), int(max(0, b[0] - 1) * c), int(x1), int(y1))

    def text_boxes(self, start: int, end: int,
                   within: tuple[int, int, int, int] | None = None) -> list[tuple[int, int, int, int]]:
        """Text lines (x0, y0, x1, y1), analysis pixels, half-open, on at least ``min_share`` of the
        decoded frames of source frames [start, end) (and on two of them at least), each grown to
        the widest reading of it on any frame; lines close together are merged into blocks.
        A block's box is the union of its lines' fitted extents on all those frames (the
        lines' cells where none was fitted), with a margin of one cell. Top to bottom,
        left to right. ``within`` (x0, y0, x1, y1), e.g. the shot's active picture box: only the
        boxes whose centre lies inside it, clipped to it (subtitles burned into a letterbox
        bar are never in the crop, so they do not count)."""
        import bisect

        lo, hi = bisect.bisect_left(self.indices, start), bisect.bisect_left(self.indices, end)
        n = hi - lo
        if n == 0:
            return []
        votes = np.zeros((self.gh, self.gw), np.int32)
        for k in range(lo, hi):
            for cy0, cx0, cy1, cx1 in self.lines[k]:
                votes[cy0:cy1, cx0:cx1] += 1
        keep = votes >= max(2 if n >= 2 else 1, self.min_share * n)
        if not keep.any():
            return []
        # each persistent core grows to the frame lines that overlap it (a line's ends come and
        # go with the noise from frame to frame; text kept whole needs the widest reading)
        grown, fits = [], []  # per core: the lines' extent as found, and fitted to their edges
        for cy0, cx0, cy1, cx1, _ in components(keep, self.gap):
            y0, x0, y1, x1 = cy0, cx0, cy1, cx1
            fy0, fx0, fy1, fx1 = self.gh, self.gw, 0, 0
            for k in range(lo, hi):
                for (ly0, lx0, ly1, lx1), (gy0, gx0, gy1, gx1) in zip(self.lines[k], self.fitted[k]):
                    if ly0 < cy1 and cy0 < ly1 and lx0 < cx1 and cx0 < lx1:
                        y0, x0, y1, x1 = min(y0, ly0), min(x0, lx0), max(y1, ly1), max(x1, lx1)
                        fy0, fx0, fy1, fx1 = min(fy0, gy0), min(fx0, gx0), max(fy1, gy1), max(fx1, gx1)
            grown.append([y0, x0, y1, x1])
            fits.append([fy0, fx0, fy1, fx1] if fy1 > fy0 else [y0, x0, y1, x1])
        merged = True
        while merged:  # grown boxes that now overlap become one
            merged = False
            for i in range(len(grown)):
                for j in range(i + 1, len(grown)):
                    a, b = grown[i], grown[j]
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                        grown[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                        a, b = fits[i], fits[j]
                        fits[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                        del grown[j], fits[j]
                        merged = True
                        break
                if merged:
                    break
        narrowest = max(self.min_width, int(np.ceil(self.min_line_frac * self.gw)))
        boxes = [self._to_px(f) for b, f in zip(grown, fits) if b[3] - b[1] >= narrowest]
        if within is not None:
            ax0, ay0, ax1, ay1 = within
            boxes = [(max(x0, ax0), max(y0, ay0), min(x1, ax1), min(y1, ay1)) for x0, y0, x1, y1 in boxes
                     if ax0 <= (x0 + x1) / 2 < ax1 and ay0 <= (y0 + y1) / 2 < ay1]
        return sorted(boxes, key=lambda b: (b[1], b[0]))

    def text_extent(self, start: int, end: int,
                    within: tuple[int, int, int, int] | None = None) -> tuple[int, int] | None:
        """(x0, x1) analysis pixels spanned by the text of [start, end) (``within``: see
        ``text_boxes``), or None without text."""
        boxes = self.text_boxes(start, end, within)
        if not boxes:
            return None
        return (min(b[0] for b in boxes), max(b[2] for b in boxes))


def keep_whole(extent: tuple[float, float] | None, crop_w: float, x_min: float, x_max: float,
               margin_px: float = 0.0) -> tuple[float, float] | None:
    """Crop left edges that hold a text ``extent`` (x0, x1) whole, as a range (lo, hi).

    All in one coordinate system (source pixels, say). The window [x, x + crop_w] must stay
    within [x_min, x_max] (the active picture) and hold [x0 - margin_px, x1 + margin_px]
    (the margin shrinks to what fits). Returns (x_min, x_max - crop_w) without text, and
    None when the text is wider than the window: the shot should become ``pad``.
    """
    if crop_w <= 0 or x_max - x_min < crop_w:
        raise ValueError("the crop must be positive and fit between x_min and x_max")
    lo, hi = float(x_min), float(x_max - crop_w)
    if extent is None:
        return lo, hi
    x0, x1 = max(float(extent[0]), x_min), min(float(extent[1]), x_max)
    if x1 - x0 > crop_w:
        return None
    m = min(float(margin_px), (crop_w - (x1 - x0)) / 2)
    a, b = max(lo, x1 + m - crop_w), min(hi, x0 - m)
    if a > b:  # text near the picture's edge: the margin on that side is cut short; centre the text
        x = min(max((x0 + x1 - crop_w) / 2, max(lo, x1 - crop_w)), min(hi, x0))
        return x, x
    return a, b
