"""numba kernel of watermark detection: correlation of images with cell grids sampled
through a crop hypothesis (the suspect copy shows the part [x0, x1) x [y0, y1) of the
marked picture, in fractions of its width and height)."""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _correlate_kernel(images, grids, boxes, out):
    h, w, n_img = images.shape  # pixels outer, images inner: the innermost loop reads memory in order
    n_grid, gh, gw = grids.shape
    for b in range(boxes.shape[0]):
        x0, x1, y0, y1 = boxes[b, 0], boxes[b, 1], boxes[b, 2], boxes[b, 3]
        for i in range(h):
            gy = (y0 + (y1 - y0) * (i + 0.5) / h) * gh - 0.5
            gy = min(max(gy, 0.0), gh - 1.0)
            r0 = min(int(gy), gh - 2)
            fy = gy - r0
            for j in range(w):
                gx = (x0 + (x1 - x0) * (j + 0.5) / w) * gw - 0.5
                gx = min(max(gx, 0.0), gw - 1.0)
                c0 = min(int(gx), gw - 2)
                fx = gx - c0
                w00 = (1 - fy) * (1 - fx)
                w01 = (1 - fy) * fx
                w10 = fy * (1 - fx)
                w11 = fy * fx
                for g in range(n_grid):
                    t = (w00 * grids[g, r0, c0] + w01 * grids[g, r0, c0 + 1]
                         + w10 * grids[g, r0 + 1, c0] + w11 * grids[g, r0 + 1, c0 + 1])
                    for k in range(n_img):
                        out[b, k, g] += images[i, j, k] * t


def correlate(images: np.ndarray, grids: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Correlations (boxes, images, grids): sum over pixels of image * grid, the grid
    bilinearly sampled at each pixel of the box ``(x0, x1, y0, y1)`` (fractions of the
    marked picture) that the image shows.

    ``images``: (n, h, w) float; ``grids``: (m, gh, gw) float, gh and gw >= 2;
    ``boxes``: (b, 4) float, 0 <= x0 < x1 <= 1 and the same for y.
    """
    images = np.asarray(images, np.float64)
    grids = np.ascontiguousarray(grids, np.float64)
    boxes = np.ascontiguousarray(np.atleast_2d(boxes), np.float64)
    if images.ndim != 3 or grids.ndim != 3 or boxes.shape[1] != 4:
        raise ValueError("images (n, h, w), grids (m, gh, gw) and boxes (b, 4) expected")
    if grids.shape[1] < 2 or grids.shape[2] < 2:
        raise ValueError("grids need at least 2 x 2 cells")
    if np.any(boxes[:, 1] <= boxes[:, 0]) or np.any(boxes[:, 3] <= boxes[:, 2]):
        raise ValueError("each box needs x0 < x1 and y0 < y1")
    out = np.zeros((boxes.shape[0], images.shape[0], grids.shape[0]))
    _correlate_kernel(np.ascontiguousarray(images.transpose(1, 2, 0)), grids, boxes, out)
    return out
