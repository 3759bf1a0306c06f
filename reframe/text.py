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

Boxes are ``(x0, y0, x1, y1)``, half-open, in analysis pixels.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _stroke_cells_kernel(frame, cell, contrast, max_stroke, min_strokes, prev_edges, edges, counts):
    """Stroke crossings per cell of an RGB uint8 frame.

    luma = (77 R + 150 G + 29 B) / 256, 0..255. A horizontal edge at (y, x) is
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
    h, w, _ = frame.shape
    gh, gw = counts.shape[0], counts.shape[1]
    luma = np.empty((h, w), np.int32)
    for y in range(h):
        for x in range(w):
            luma[y, x] = (77 * np.int32(frame[y, x, 0]) + 150 * np.int32(frame[y, x, 1])
                          + 29 * np.int32(frame[y, x, 2])) >> 8
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


def stroke_cells(frame: np.ndarray, prev_edges: np.ndarray | None = None, *, cell_px: int = 4,
                 contrast: int = 60, max_stroke_px: int = 5, min_strokes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(counts int32 (h // cell_px, w // cell_px, 5), edge codes uint8 (h, w)) of one RGB uint8
    frame; see ``_stroke_cells_kernel``. ``contrast``: luma step (1..255) of a stroke edge;
    ``max_stroke_px``: widest stroke (pixels); ``prev_edges``: the previous frame's edge codes."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
    h, w, _ = frame.shape
    if cell_px < 1 or h < cell_px or w < cell_px:
        raise ValueError("cell_px must be >= 1 and no larger than the frame")
    if not 1 <= contrast <= 255 or max_stroke_px < 1:
        raise ValueError("contrast must be in 1..255 and max_stroke_px >= 1")
    prev = np.full((h, w), 255, np.uint8) if prev_edges is None else np.ascontiguousarray(prev_edges, np.uint8)
    if prev.shape != (h, w):
        raise ValueError("prev_edges must be (h, w)")
    edges = np.zeros((h, w), np.uint8)
    counts = np.zeros((h // cell_px, w // cell_px, 5), np.int32)
    _stroke_cells_kernel(np.ascontiguousarray(frame), int(cell_px), int(contrast), int(max_stroke_px),
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


_NO_LINES = np.zeros((0, 4), np.int32)  # shared by every frame without text (read only)
_NO_LINES.flags.writeable = False


class TextDetector:
    """Streams analysis frames; answers the burned-in text lines of a shot.

    ``process_frame`` takes frames in increasing source-frame order, any subset.
    Per frame only the accepted line boxes are kept (a few a frame at most).

    Options (analysis pixels unless said):
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
      every           ``wants`` asks for one frame in each run of this many source frames
                      (e.g. round(fps / 4): four a second are plenty for text)
    """

    def __init__(self, width: int, height: int, *, cell_px: int = 4, contrast: int = 60,
                 max_stroke_px: int = 5, min_strokes: int = 4, min_stable: float = 0.5,
                 gap_cells: int = 3, min_width_cells: int = 5, min_aspect: float = 1.5, min_fill: float = 0.3,
                 min_polarity: float = 0.7, min_share: float = 0.25, min_line_frac: float = 0.08,
                 every: int = 1):
        if width < 4 * cell_px or height < 4 * cell_px:
            raise ValueError("frames must be at least 4 cells each way")
        if not 0 <= min_stable <= 1 or not 0 <= min_fill <= 1 or not 0 < min_share <= 1:
            raise ValueError("min_stable and min_fill must be in [0, 1], min_share in (0, 1]")
        self.width, self.height = int(width), int(height)
        self.cell = int(cell_px)
        self.contrast, self.max_stroke = int(contrast), int(max_stroke_px)
        self.min_strokes, self.min_stable = int(min_strokes), float(min_stable)
        self.min_width, self.min_aspect, self.min_fill = int(min_width_cells), float(min_aspect), float(min_fill)
        self.min_share, self.min_polarity = float(min_share), float(min_polarity)
        self.gap = int(gap_cells)
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = int(every)
        self._due = 0
        self.min_line_frac = float(min_line_frac)
        self.gh, self.gw = self.height // self.cell, self.width // self.cell
        self._prev = np.full((self.height, self.width), 255, np.uint8)
        self._edges = np.zeros((self.height, self.width), np.uint8)
        self._counts = np.zeros((self.gh, self.gw, 5), np.int32)
        self._labels = np.empty((self.gh, self.gw), np.int32)
        self._boxes = np.zeros((256, 5), np.int32)
        self.indices: list[int] = []
        self.lines: list[np.ndarray] = []  # per decoded frame: int32 (k, 4) cell boxes (cy0, cx0, cy1, cx1)

    def dense_cells(self, counts: np.ndarray, first: bool) -> np.ndarray:
        """Boolean (gh, gw) grid of text-like cells from ``counts`` (see ``stroke_cells``)."""
        r, c, e, s = counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3]
        dense = (r + c >= self.min_strokes) & (r >= 1) & (c >= 1)
        if not first:
            dense &= s >= self.min_stable * e
        return dense

    def frame_lines(self, dense: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """int32 (k, 4) cell boxes (cy0, cx0, cy1, cx1) of the text lines in a dense-cell grid
        (``counts``: the frame's stroke counts, for the lines' polarity)."""
        if not dense.any():
            return _NO_LINES
        n = _components_kernel(np.ascontiguousarray(dense), self.gap, self._labels, self._boxes)
        if n == 0:
            return _NO_LINES
        b = self._boxes[:n]
        hgt, wid = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        lab = np.where(dense, self._labels, n).ravel()
        strokes = (counts[..., 0] + counts[..., 1]).ravel()
        bright = np.bincount(lab, counts[..., 4].ravel(), n + 1)[:n]
        total = np.bincount(lab, strokes, n + 1)[:n]
        polar = np.maximum(bright, total - bright) >= self.min_polarity * np.maximum(total, 1)
        ok = ((wid >= self.min_width) & (wid >= self.min_aspect * hgt) & (b[:, 4] >= self.min_fill * hgt * wid)
              & polar)
        return b[ok, :4].copy() if ok.any() else _NO_LINES

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
        _stroke_cells_kernel(np.ascontiguousarray(frame), self.cell, self.contrast, self.max_stroke,
                             self.min_strokes, self._prev, self._edges, self._counts)
        self._prev, self._edges = self._edges, self._prev
        dense = self.dense_cells(self._counts, not self.indices)
        self.indices.append(int(index))
        self.lines.append(self.frame_lines(dense, self._counts))
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
        the widest reading of it on any frame; lines close together are merged into blocks;
        each box has a margin of one cell. Top to bottom,
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
        grown = []
        for cy0, cx0, cy1, cx1, _ in components(keep, self.gap):
            y0, x0, y1, x1 = cy0, cx0, cy1, cx1
            for k in range(lo, hi):
                for ly0, lx0, ly1, lx1 in self.lines[k]:
                    if ly0 < cy1 and cy0 < ly1 and lx0 < cx1 and cx0 < lx1:
                        y0, x0, y1, x1 = min(y0, ly0), min(x0, lx0), max(y1, ly1), max(x1, lx1)
            grown.append([y0, x0, y1, x1])
        merged = True
        while merged:  # grown boxes that now overlap become one
            merged = False
            for i in range(len(grown)):
                for j in range(i + 1, len(grown)):
                    a, b = grown[i], grown[j]
                    if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                        grown[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                        del grown[j]
                        merged = True
                        break
                if merged:
                    break
        narrowest = max(self.min_width, int(np.ceil(self.min_line_frac * self.gw)))
        boxes = [self._to_px(b) for b in grown if b[3] - b[1] >= narrowest]
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
