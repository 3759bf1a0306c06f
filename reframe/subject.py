"""Where the subject is when no face says so: a numba saliency map on a coarse grid.

Per frame, on a grid of about 96 cells across (blocks of the analysis frame):

* **centre-surround contrast** at three scales: |cell - box mean around it| in an
  opponent colour space (luma, red-green, yellow-blue), summed over box radii
  of 2, 4 and 8 cells, so a figure stands out from its surroundings whatever
  its size;
* **colour rarity**: -log of the share of the frame's cells in the cell's colour
  bin (6 x 6 x 6 bins), so the one red-haired girl beats the sky and the dunes;
* **motion against the camera**: the camera's own motion is the grid shift
  (up to 1/16 of the width) that best maps the previous frame onto this one;
  what still differs after that shift moves on its own (a runner in a pan);
* **focus**: the mean |4-neighbour Laplacian| of the luma in each cell (every
  other pixel of every other row), so what the camera focused on beats a
  blurred foreground or background.

The four maps, each scaled to 0..1, are mixed with the weights of the options
table (``SUBJECT_WEIGHTS`` below; thresholds in ``verticalize.options``), and
the mix is multiplied by a **blur gate**: a cell less sharp than ``blur_gate``
times the picture's median focus counts in proportion to its sharpness (the
out-of-focus leaf in front of a koala, however green, is not the subject).
The cells above mean + k std of the mix form connected regions (4-neighbour); the region with the largest mass is
the subject (objectness), its columns' mass sets the crop window, and the
columns that hold its central 90 % give its horizontal extent, which the camera
path compares with the crop width (``pad`` when the subject is wider).
"""
from __future__ import annotations

import numba
import numpy as np

# Weight of each cue of the subject map where no face is seen (each scaled to 0..1 per frame),
# tuned on bench/subject_labels/tune.json (focus and blur_gate on tune + report + report2).
SUBJECT_WEIGHTS: dict[str, float] = {
    "contrast": 1.0,   # multi-scale centre-surround contrast (luma and opponent colour)
    "rarity": 2.0,     # colour rarity times spatial compactness
    "motion": 0.5,     # motion left after removing the camera's own (global) shift
    "focus": 2.0,      # local sharpness (|Laplacian| of luma): the subject in focus, not the blurred foreground
    "blur_gate": 2.0,  # cells less sharp than this x the picture's median focus count in proportion (0: off)
}

GRID_CELLS = 96  # grid width in cells (fewer for narrow frames: at least 1 px per cell)
_RADII = (2, 4, 8)
_BINS = 6
DARK = 20.0  # a grid row or column whose cells are all at or under this luma is a bar (0..255)


def grid_block(width: int) -> int:
    """Side of a grid cell in analysis px for a frame ``width`` px wide (>= 1)."""
    return max(1, int(round(width / GRID_CELLS)))


@numba.njit(cache=True, nogil=True)
def _integral(ch):
    """Summed-area table of ``ch`` with a zero first row and column, (gh + 1, gw + 1)."""
    gh, gw = ch.shape
    ii = np.zeros((gh + 1, gw + 1), np.float64)
    for y in range(gh):
        row = 0.0
        for x in range(gw):
            row += ch[y, x]
            ii[y + 1, x + 1] = ii[y, x + 1] + row
    return ii


@numba.njit(cache=True, nogil=True)
def _box_at(ii, y, x, radius):
    """Mean of the (2 radius + 1)^2 box around cell (y, x) from the summed-area table ``ii``."""
    gh = ii.shape[0] - 1
    gw = ii.shape[1] - 1
    y0 = max(0, y - radius)
    y1 = min(gh, y + radius + 1)
    x0 = max(0, x - radius)
    x1 = min(gw, x + radius + 1)
    return (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]) / ((y1 - y0) * (x1 - x0))


@numba.njit(cache=True, nogil=True)
def _box_mean(ch, radius):
    """Mean of the (2 radius + 1)^2 box around each cell (clipped at the edges)."""
    gh, gw = ch.shape
    ii = _integral(ch)
    out = np.empty((gh, gw), np.float64)
    for y in range(gh):
        for x in range(gw):
            out[y, x] = _box_at(ii, y, x, radius)
    return out


@numba.njit(cache=True, nogil=True)
def _centre_surround(ch, out, weight):
    """out += weight * sum over surround radii 4, 8, 16 of |3x3 mean - surround mean|: blobs, not edges."""
    ii = _integral(ch)
    for y in range(ch.shape[0]):
        for x in range(ch.shape[1]):
            c = _box_at(ii, y, x, 1)
            acc = out[y, x]
            for radius in (4, 8, 16):
                acc += weight * abs(c - _box_at(ii, y, x, radius))
            out[y, x] = acc


@numba.njit(cache=True, nogil=True)
def _row_dark(lum, y):
    for x in range(lum.shape[1]):
        if lum[y, x] > DARK:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _col_dark(lum, x, y0, y1):
    for y in range(y0, y1):
        if lum[y, x] > DARK:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _shift_cost(lum, prev, dy, dx, limit):
    """Mean |lum - prev shifted by (dy, dx)| over every other cell of every other row, plus 0.02
    per cell of shift (ties go to the smaller shift); 1e30 when there is no overlap, or as soon as
    the partial sum shows the cost will exceed ``limit``."""
    gh, gw = lum.shape
    y0, y1 = max(0, -dy), min(gh, gh - dy)
    x0, x1 = max(0, -dx), min(gw, gw - dx)
    if y1 <= y0 or x1 <= x0:
        return 1e30
    c = ((y1 - y0 + 1) // 2) * ((x1 - x0 + 1) // 2)  # cells read: >= 1 once both ranges are non-empty
    penalty = 0.02 * (abs(dx) + abs(dy))
    s = 0.0
    for gy in range(y0, y1, 2):
        for gx in range(x0, x1, 2):
            s += abs(lum[gy, gx] - prev[gy + dy, gx + dx])
        if s / c + penalty > limit:
            return 1e30
    return s / c + penalty


@numba.njit(cache=True, nogil=True)
def _camera_shift(lum, prev, max_shift):
    """(cost, dy, dx): the grid shift of at most ``max_shift`` cells that best maps ``prev`` onto
    ``lum`` (``_shift_cost``; the first in scan order on ties). The still camera's cost bounds the
    search: a shift whose partial sum is already over it cannot win (every term is >= 0), so it is
    left early; the result is the exhaustive search's."""
    best = 1e30
    bdy = 0
    bdx = 0
    bound = _shift_cost(lum, prev, 0, 0, 1e30)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            s = _shift_cost(lum, prev, dy, dx, min(best, bound))
            if s < best:
                best = s
                bdy = dy
                bdx = dx
    return best, bdy, bdx


@numba.njit(cache=True, nogil=True)
def _subject_kernel(frame, block, prev_luma, has_prev, luma_out, w_contrast, w_rarity, w_motion, w_focus,
                    blur_gate, threshold_std, chroma_weight, max_shift, cols_out, map_out):
    """Subject map of one RGB frame on a grid of ``block``-px cells.

    Writes the grid's luma (0..255) to ``luma_out`` (the next call's ``prev_luma``)
    and the subject's mass per grid column to ``cols_out``. Returns
    (extent left, extent right) in grid columns (float, right exclusive) of the
    main salient region, and its share (0..1) of the whole map's mass.
    """
    h, w, _ = frame.shape
    gh = h // block
    gw = w // block
    lum = luma_out
    ca = np.empty((gh, gw), np.float64)
    cb = np.empty((gh, gw), np.float64)
    inv = 1.0 / (block * block)
    sums = np.zeros((gh, gw, 3), np.int64)  # cell sums, pixels read in memory order
    ph = gh * block
    pw = gw * block
    want_focus = w_focus > 0 or blur_gate > 0
    # luma x 256 in integers (77 R + 150 G + 29 B) of every pixel, for the focus cue below
    luma256 = np.empty((ph if want_focus else 0, pw), np.int32)
    for y in range(ph):
        gy = y // block
        for gx in range(gw):
            sr = 0
            sg = 0
            sb = 0
            for x in range(gx * block, gx * block + block):  # one cell's pixels of this row
                r, g, b = np.int32(frame[y, x, 0]), np.int32(frame[y, x, 1]), np.int32(frame[y, x, 2])
                sr += r
                sg += g
                sb += b
                if want_focus:
                    luma256[y, x] = 77 * r + 150 * g + 29 * b
            sums[gy, gx, 0] += sr
            sums[gy, gx, 1] += sg
            sums[gy, gx, 2] += sb
    # focus: mean |4-neighbour Laplacian| of luma per cell, on every other pixel of every other row
    # (what is sharp, not blurred by depth of field)
    foc_all = np.zeros((gh, gw), np.float64)
    if want_focus:
        focus_sum = np.zeros((gh, gw), np.int64)
        taken = np.zeros((gh, gw), np.int64)
        for y in range(1, ph - 1, 2):
            gy = y // block
            for x in range(1, pw - 1, 2):
                gx = x // block
                focus_sum[gy, gx] += abs(4 * luma256[y, x] - luma256[y - 1, x] - luma256[y + 1, x]
                                         - luma256[y, x - 1] - luma256[y, x + 1])
                taken[gy, gx] += 1
        for gy in range(gh):
            for gx in range(gw):
                if taken[gy, gx] > 0:
                    foc_all[gy, gx] = focus_sum[gy, gx] / (256.0 * taken[gy, gx])
    for gy in range(gh):
        for gx in range(gw):
            r = sums[gy, gx, 0] * inv
            g = sums[gy, gx, 1] * inv
            b = sums[gy, gx, 2] * inv
            lum[gy, gx] = 0.299 * r + 0.587 * g + 0.114 * b
            ca[gy, gx] = r - g
            cb[gy, gx] = 0.5 * (r + g) - b
    # the active picture: rows and columns with any cell brighter than near-black (bars left out)
    ya = 0
    while ya < gh - 1 and _row_dark(lum, ya):
        ya += 1
    yb = gh
    while yb > ya + 1 and _row_dark(lum, yb - 1):
        yb -= 1
    xa = 0
    while xa < gw - 1 and _col_dark(lum, xa, ya, yb):
        xa += 1
    xb = gw
    while xb > xa + 1 and _col_dark(lum, xb - 1, ya, yb):
        xb -= 1
    full_gw = gw
    lum_all = lum
    prev_all = prev_luma
    gh = yb - ya
    gw = xb - xa
    lum = np.ascontiguousarray(lum_all[ya:yb, xa:xb]).astype(np.float64)
    prev_a = np.ascontiguousarray(prev_all[ya:yb, xa:xb]).astype(np.float64)
    ca = np.ascontiguousarray(ca[ya:yb, xa:xb])
    cb = np.ascontiguousarray(cb[ya:yb, xa:xb])
    # the active picture's edge cells carry the bars' edge, not a subject: no focus there
    foc = np.zeros((gh, gw), np.float64)
    for gy in range(1, gh - 1):
        for gx in range(1, gw - 1):
            foc[gy, gx] = foc_all[ya + gy, xa + gx]
    # blur gate: a cell less sharp than blur_gate x the picture's median focus is scaled down in
    # proportion (a blurred foreground leaf or wall is not the subject, whatever its colour)
    gate = np.ones((gh, gw), np.float64)
    if blur_gate > 0:
        fmed = np.median(foc_all[ya:yb, xa:xb])
        if fmed > 0:
            for gy in range(gh):
                for gx in range(gw):
                    gate[gy, gx] = min(1.0, foc_all[ya + gy, xa + gx] / (blur_gate * fmed))
    # centre-surround contrast, three scales
    con = np.zeros((gh, gw), np.float64)
    _centre_surround(lum, con, 1.0)
    _centre_surround(ca, con, chroma_weight)
    _centre_surround(cb, con, chroma_weight)
    # colour rarity times spatial compactness: a colour that is rare and gathered in one place
    nb = 6 * 6 * 6
    hist = np.zeros(nb, np.float64)
    sx = np.zeros(nb, np.float64)
    sxx = np.zeros(nb, np.float64)
    bins = np.empty((gh, gw), np.int64)
    for gy in range(gh):
        for gx in range(gw):
            bl = min(5, int(lum[gy, gx] * 6.0 / 256.0))
            ba = min(5, max(0, int((ca[gy, gx] + 96.0) * 6.0 / 192.0)))
            bb = min(5, max(0, int((cb[gy, gx] + 96.0) * 6.0 / 192.0)))
            k = (bl * 6 + ba) * 6 + bb
            bins[gy, gx] = k
            hist[k] += 1.0
            fx = gx / max(gw - 1, 1)
            sx[k] += fx
            sxx[k] += fx * fx
    n = float(gh * gw)
    score = np.zeros(nb, np.float64)
    for k in range(nb):
        if hist[k] > 0:
            m = sx[k] / hist[k]
            sd = np.sqrt(max(sxx[k] / hist[k] - m * m, 0.0))  # 0..0.5
            score[k] = -np.log(hist[k] / n) * max(0.0, 1.0 - 2.5 * sd)
    rar = np.empty((gh, gw), np.float64)
    for gy in range(gh):
        for gx in range(gw):
            rar[gy, gx] = score[bins[gy, gx]]
    rb = _box_mean(rar, 1)
    for gy in range(gh):
        for gx in range(gw):
            rar[gy, gx] = rb[gy, gx]
    # motion against the camera's own motion
    mot = np.zeros((gh, gw), np.float64)
    if has_prev:
        best, bdy, bdx = _camera_shift(lum, prev_a, max_shift)
        for gy in range(max(0, -bdy), min(gh, gh - bdy)):
            for gx in range(max(0, -bdx), min(gw, gw - bdx)):
                d = abs(lum[gy, gx] - prev_a[gy + bdy, gx + bdx]) - 2.0 * best - 4.0
                if d > 0:
                    mot[gy, gx] = d
    # mix, each scaled to 0..1
    cmax = 1e-9
    rmax = 1e-9
    mmax = 20.0  # residual motion under ~20 luma levels never dominates
    fmax = 1e-9
    for gy in range(gh):
        for gx in range(gw):
            cmax = max(cmax, con[gy, gx])
            rmax = max(rmax, rar[gy, gx])
            mmax = max(mmax, mot[gy, gx])
            fmax = max(fmax, foc[gy, gx])
    sal = np.empty((gh, gw), np.float64)
    mean = 0.0
    for gy in range(gh):
        for gx in range(gw):
            v = (w_contrast * con[gy, gx] / cmax + w_rarity * rar[gy, gx] / rmax + w_motion * mot[gy, gx] / mmax
                 + w_focus * foc[gy, gx] / fmax) * gate[gy, gx]
            sal[gy, gx] = v
            map_out[ya + gy, xa + gx] = v
            mean += v
    mean /= n
    var = 0.0
    for gy in range(gh):
        for gx in range(gw):
            var += (sal[gy, gx] - mean) ** 2
    thr = mean + threshold_std * np.sqrt(var / n)
    # objectness: the connected region above the threshold with the largest mass
    lab = np.full((gh, gw), -1, np.int64)
    stack = np.empty(gh * gw, np.int64)
    best_mass = 0.0
    best_lab = -1
    nlab = 0
    total = 0.0
    for gy in range(gh):
        for gx in range(gw):
            if sal[gy, gx] > thr:
                total += sal[gy, gx] - thr
    for gy in range(gh):
        for gx in range(gw):
            if sal[gy, gx] <= thr or lab[gy, gx] >= 0:
                continue
            lab[gy, gx] = nlab
            top = 0
            stack[top] = gy * gw + gx
            top += 1
            mass = 0.0
            while top > 0:
                top -= 1
                p = stack[top]
                y = p // gw
                x = p % gw
                mass += sal[y, x] - thr
                for k in range(4):
                    yy = y + (1 if k == 0 else (-1 if k == 1 else 0))
                    xx = x + (1 if k == 2 else (-1 if k == 3 else 0))
                    if 0 <= yy < gh and 0 <= xx < gw and lab[yy, xx] < 0 and sal[yy, xx] > thr:
                        lab[yy, xx] = nlab
                        stack[top] = yy * gw + xx
                        top += 1
            if mass > best_mass:
                best_mass = mass
                best_lab = nlab
            nlab += 1
    for gx in range(full_gw):
        cols_out[gx] = 0.0
    if best_lab < 0:  # a flat frame: no region, the plain map decides
        for gy in range(gh):
            for gx in range(gw):
                cols_out[xa + gx] += sal[gy, gx]
        return float(xa), float(xb), 0.0
    for gy in range(gh):
        for gx in range(gw):
            if lab[gy, gx] == best_lab:
                cols_out[xa + gx] += sal[gy, gx] - thr
    acc = 0.0
    lo = 0.0
    hi = float(xb)
    got_lo = False
    for gx in range(xa, xb):
        nxt = acc + cols_out[gx]
        if not got_lo and nxt >= 0.05 * best_mass:
            lo = gx + (0.05 * best_mass - acc) / max(cols_out[gx], 1e-12)
            got_lo = True
        if nxt >= 0.95 * best_mass:
            hi = gx + (0.95 * best_mass - acc) / max(cols_out[gx], 1e-12)
            break
        acc = nxt
    return lo, hi, best_mass / max(total, 1e-12)


class SubjectMap:
    """Streams analysis frames of one size; per frame the subject's column mass and extent.

    ``weights``: (contrast, rarity, motion[, focus]), each >= 0 (focus 0 when left out); ``threshold_std``: cells
    above mean + this many standard deviations of the map are candidate
    subject cells; ``blur_gate`` (>= 0, 0: off): cells less sharp than this many
    times the picture's median focus are scaled down in proportion.
    """

    def __init__(self, width: int, height: int, weights=(1.0, 1.0, 1.0), threshold_std: float = 1.0,
                 chroma_weight: float = 1.5, blur_gate: float = 0.0):
        self.block = grid_block(width)
        self.gw = width // self.block
        self.gh = height // self.block
        if self.gw < 1 or self.gh < 1:
            raise ValueError("frame too small for the subject grid")
        self.weights = tuple(float(v) for v in weights) + ((0.0,) if len(weights) == 3 else ())
        if len(self.weights) != 4 or min(self.weights) < 0:
            raise ValueError("weights: three or four values >= 0 (contrast, rarity, motion[, focus]; focus 0 if left out)")
        self.threshold_std = float(threshold_std)
        self.chroma_weight = float(chroma_weight)
        if blur_gate < 0:
            raise ValueError("blur_gate must be >= 0 (0: off)")
        self.blur_gate = float(blur_gate)
        self.max_shift = max(1, self.gw // 16)
        self._prev = np.zeros((self.gh, self.gw), np.float32)
        self._cur = np.zeros((self.gh, self.gw), np.float32)
        self._has_prev = False
        self.columns = np.zeros(self.gw, np.float64)
        self.map = np.zeros((self.gh, self.gw), np.float64)  # the last frame's subject map (0 outside the active picture)

    def reset(self) -> None:
        """Forget the previous frame (at a cut, so the cut is not read as motion)."""
        self._has_prev = False

    def process(self, frame: np.ndarray) -> tuple[float, float, float]:
        """(left, right, share): the main region's extent in grid columns and its share of the map's mass.

        ``self.columns`` then holds the region's mass per grid column.
        """
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("frame must be an (h, w, 3) uint8 RGB array")
        if frame.shape[1] // self.block != self.gw or frame.shape[0] // self.block != self.gh:
            raise ValueError("frame size differs from the size this map was made for")
        wc, wr, wm, wf = self.weights
        self.map[...] = 0.0
        out = _subject_kernel(np.ascontiguousarray(frame), self.block, self._prev, self._has_prev, self._cur,
                              wc, wr, wm, wf, self.blur_gate, self.threshold_std, self.chroma_weight, self.max_shift, self.columns, self.map)
        self._prev, self._cur = self._cur, self._prev
        self._has_prev = True
        return out


def subject_columns(frame: np.ndarray, prev: np.ndarray | None = None, weights=(1.0, 1.0, 1.0),
                    threshold_std: float = 1.0, chroma_weight: float = 1.5):
    """One frame's subject: (column mass per grid column, (left, right) extent in grid columns, grid luma).

    ``prev``: the previous frame's grid luma (from an earlier call), or None.
    """
    h, w = frame.shape[:2]
    m = SubjectMap(w, h, weights, threshold_std, chroma_weight)
    if prev is not None:
        if prev.shape != (m.gh, m.gw):
            raise ValueError("prev must be the grid luma of a frame of the same size")
        m._prev[...] = prev
        m._has_prev = True
    lo, hi, _ = m.process(frame)
    return m.columns.copy(), (lo, hi), m._prev.copy()
