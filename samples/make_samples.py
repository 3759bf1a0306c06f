#!/usr/bin/env python3
"""Build the synthetic test footage in samples/ (deterministic and cached).

Every frame is composed in numpy from real photographs shipped inside scikit-image
(``skimage.data``; only the files bundled with the package, nothing is downloaded),
converted to yuv420p and piped into a single ffmpeg process that also renders the
audio from lavfi sources.  The ground truth (cuts, shot kinds, per-frame face boxes)
is computed from the same geometry that places the photographs, never from a
detector.

In dialogue shots the faces talk: during each cue heard in the shot one face (the one whose
photo speaks with the cue's voice; the twins take turns, left first) opens and closes its
mouth with the syllable envelope of that voice's audio (3.7/5.3 Hz beating, so 3-5
syllables a second, irregular but deterministic), the lip gap up to 0.1 face heights (about
a quarter of a frontal mouth's width).  Only the mouth, lower lip and chin pixels change; the
face boxes stay exact.  The truth's ``speakers`` lists, per dialogue shot, both boxes and the
turns (absolute frames, end exclusive, and the side whose mouth moves).

Outputs, for each sample NAME (``drama`` ~4 min, ``short`` 30 s):

* ``NAME.mp4``         1920x1080, 30/1 fps, H.264 High yuv420p + AAC stereo 48 kHz, faststart
* ``NAME.truth.json``  ground truth (see ``truth_for``)
* ``subs/NAME.*``      subtitle files, generated from the cue tables below; they are
                       committed and rewritten only when their content differs.

Usage: ``python samples/make_samples.py [--name drama|short|all] [--force] [--out DIR]``

Outputs are rebuilt only when missing or when this file changed (a hash of it is kept in
``DIR/.cache/NAME.stamp``).  Video and truth are written under temporary names and renamed
on success, so an interrupted run never leaves a half-written mp4 behind.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
W, H, FPS = 1920, 1080, 30
AUDIO_RATE = 48000

# ---------------------------------------------------------------------------------------
# Photographs
# ---------------------------------------------------------------------------------------

# Face boxes (x, y, w, h), hand-annotated in each photo's own 512x512 pixel coordinates.
# They are the mediapipe full-range (model_selection=1) detections on the raw photos,
# rounded to ints:
#   astronaut: relative xmin .339 ymin .132 w .203 h .203 -> (174, 68, 104, 104)
#   camera (the cameraman): xmin .390 ymin .240 w .148 h .148 -> (200, 123, 76, 76)
# A "_mirror" suffix flips a photo left-right (its box is mirrored accordingly).
FACE_BOX = {"astronaut": (174, 68, 104, 104), "camera": (200, 123, 76, 76)}

_photo_cache: dict[str, np.ndarray] = {}


def photo(name: str) -> np.ndarray:
    """An skimage.data photograph as an RGB uint8 array (cached)."""
    if name in _photo_cache:
        return _photo_cache[name]
    if name.endswith("_mirror"):
        img = np.ascontiguousarray(photo(name[: -len("_mirror")])[:, ::-1])
    else:
        from skimage import data  # only images bundled in the package are used

        img = getattr(data, name)()
        if img.dtype == bool:  # horse: True is background -> dark silhouette on a dusk sky
            h, w = img.shape
            sky = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
            top, bottom = np.array([40, 50, 110], np.float32), np.array([250, 150, 70], np.float32)
            grad = np.broadcast_to(top + (bottom - top) * sky, (h, w, 3))
            img = np.where(img[..., None], grad, np.float32(20)).astype(np.uint8)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        img = np.ascontiguousarray(img[..., :3])
    _photo_cache[name] = img
    return img


# Lips, in each photo's own 512x512 pixels (continuous coordinates, x right, y down): the
# mediapipe FaceMesh landmarks (static_image_mode, refine_landmarks) on the photo scaled 2x,
# mapped back and rounded to 0.1 px.  ``seam`` runs from one mouth corner to the other along
# the line where the lips meet: corner 61, the midpoints of the inner-lip contours
# (78 191 80 81 82 13 312 311 310 415 308 over 78 95 88 178 87 14 317 402 318 324 308), corner
# 291.  The cameraman is seen in three-quarter profile: his far corner is hidden, so his seam
# ends at the front of the lips (read off the photo) and his mouth opens widest near it.
# ``forehead``/``chin`` are landmarks 10/152; their distance is the face height that scales
# the mouth's movement.
@dataclass(frozen=True)
class Lips:
    seam: tuple[tuple[float, float], ...]  # left to right
    forehead: tuple[float, float]
    chin: tuple[float, float]
    widest: float  # where along the seam (0 first point .. 1 last) the opening is widest


LIPS = {
    "astronaut": Lips(((202.5, 139.6), (206.8, 142.2), (209.6, 143.6), (213.1, 145.2), (217.6, 146.5),
                       (223.1, 147.3), (229.0, 146.9), (233.8, 145.8), (237.8, 144.6), (240.8, 143.3),
                       (245.6, 140.9)),
                      forehead=(226.1, 70.4), chin=(222.3, 178.0), widest=0.5),
    "camera": Lips(((229.9, 180.2), (232.7, 180.3), (235.0, 180.5), (237.6, 180.7), (240.0, 180.9),
                    (242.1, 181.1), (242.6, 181.0)),
                   forehead=(251.5, 130.7), chin=(231.2, 193.8), widest=0.65),
}

# The voice (see the cue tables) each photographed person speaks with.
PHOTO_VOICE = {"astronaut": "F", "camera": "M"}


def lips(name: str) -> Lips | None:
    if name.endswith("_mirror"):
        base = lips(name[: -len("_mirror")])
        if base is None:
            return None
        w = photo(name).shape[1]
        return Lips(tuple((w - x, y) for x, y in reversed(base.seam)), (w - base.forehead[0], base.forehead[1]),
                    (w - base.chin[0], base.chin[1]), 1.0 - base.widest)
    return LIPS.get(name)


def face_box(name: str) -> tuple[int, int, int, int] | None:
    if name.endswith("_mirror"):
        base = name[: -len("_mirror")]
        if base not in FACE_BOX:
            return None
        x, y, w, h = FACE_BOX[base]
        return (photo(base).shape[1] - x - w, y, w, h)
    return FACE_BOX.get(name)


def resized_size(name: str, scale: float) -> tuple[int, int, float, float]:
    """(new_w, new_h, sx, sy): the exact size and per-axis scale used by ``resized``."""
    h, w = photo(name).shape[:2]
    nw, nh = int(round(w * scale)), int(round(h * scale))
    return nw, nh, nw / w, nh / h


def resized(name: str, scale: float) -> np.ndarray:
    import cv2

    nw, nh, _, _ = resized_size(name, scale)
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(photo(name), (nw, nh), interpolation=interp)


def cover_scale(name: str, w: int, h: int) -> float:
    ph, pw = photo(name).shape[:2]
    return max(w / pw, h / ph)


# ---------------------------------------------------------------------------------------
# Composition of a canvas: a background and photo layers with feathered edges
# ---------------------------------------------------------------------------------------


@dataclass
class Layer:
    name: str  # photo
    scale: float
    face_at: tuple[float, float] | None = None  # put the face centre here (canvas px)...
    pos: tuple[int, int] | None = None  # ...or the photo's top-left corner here
    clip: tuple[int, int] | None = None  # visible canvas columns [x0, x1)
    feather: int = 48

    def placement(self) -> tuple[int, int, int, int, float, float]:
        nw, nh, sx, sy = resized_size(self.name, self.scale)
        if self.pos is not None:
            x, y = self.pos
        else:
            bx, by, bw, bh = face_box(self.name)
            x = int(round(self.face_at[0] - (bx + bw / 2) * sx))
            y = int(round(self.face_at[1] - (by + bh / 2) * sy))
        return x, y, nw, nh, sx, sy

    def visible(self, cw: int, ch: int) -> tuple[int, int, int, int]:
        x, y, nw, nh, _, _ = self.placement()
        x0, x1 = max(x, 0), min(x + nw, cw)
        if self.clip:
            x0, x1 = max(x0, self.clip[0]), min(x1, self.clip[1])
        return x0, max(y, 0), x1, min(y + nh, ch)

    def canvas_face(self, cw: int, ch: int) -> tuple[int, int, int, int] | None:
        """The face box in canvas pixels: the annotated box under this layer's exact scale/offset."""
        box = face_box(self.name)
        if box is None:
            return None
        x, y, _, _, sx, sy = self.placement()
        bx, by, bw, bh = box
        fb = (x + int(round(bx * sx)), y + int(round(by * sy)), int(round(bw * sx)), int(round(bh * sy)))
        # The face must be fully visible and clear of the feathered margins.
        vx0, vy0, vx1, vy1 = self.visible(cw, ch)
        m = self.feather
        assert vx0 + (m if vx0 > 0 else 0) <= fb[0] and fb[0] + fb[2] <= vx1 - (m if vx1 < cw else 0), (self, fb)
        assert vy0 + (m if vy0 > 0 else 0) <= fb[1] and fb[1] + fb[3] <= vy1 - (m if vy1 < ch else 0), (self, fb)
        return fb

    def paste(self, canvas: np.ndarray) -> None:
        ch, cw = canvas.shape[:2]
        x, y, nw, nh, _, _ = self.placement()
        vx0, vy0, vx1, vy1 = self.visible(cw, ch)
        if vx0 >= vx1 or vy0 >= vy1:
            return
        img = resized(self.name, self.scale)[vy0 - y : vy1 - y, vx0 - x : vx1 - x].astype(np.float32)
        f = float(self.feather)
        xs = np.arange(vx0, vx1, dtype=np.float32) + 0.5
        ys = np.arange(vy0, vy1, dtype=np.float32) + 0.5
        ax = np.ones_like(xs)
        ay = np.ones_like(ys)
        if vx0 > 0:
            ax = np.minimum(ax, (xs - vx0) / f)
        if vx1 < cw:
            ax = np.minimum(ax, (vx1 - xs) / f)
        if vy0 > 0:
            ay = np.minimum(ay, (ys - vy0) / f)
        if vy1 < ch:
            ay = np.minimum(ay, (vy1 - ys) / f)
        alpha = (np.clip(ay, 0, 1)[:, None] * np.clip(ax, 0, 1)[None, :])[..., None]
        region = canvas[vy0:vy1, vx0:vx1].astype(np.float32)
        canvas[vy0:vy1, vx0:vx1] = np.clip(region + (img - region) * alpha + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------
# Talking mouths
# ---------------------------------------------------------------------------------------

# Speech: voice -> (noise seed, band centre Hz, octaves, pitch Hz, gain, syllable phase).
VOICES = {
    "F": (11, 1300, 2.0, 210, 2.9, 0.0),
    "M": (12, 650, 2.0, 115, 3.0, 1.3),
    "N": (13, 900, 2.0, 160, 2.8, 2.1),
    "R": (14, 1800, 0.8, 300, 3.0, 0.7),
}
MOUTH_OPEN_PEAK = 0.10  # widest lip gap [face heights]: about a quarter of a frontal mouth's width
MOUTH_INSIDE_RGB = (40, 15, 20)  # the gap's colour (its grey level in grey photos)


def syllables(voice: str, t: float) -> float:
    """The voice's syllable envelope at t seconds (3.7 and 5.3 Hz beating, 1.1 Hz swell).

    The audio sounds the voice where this exceeds 0.05 (see ``audio_graph``), and the
    speaking face's mouth opens by the same measure, so lips and sound move together.
    """
    ph = VOICES[voice][5]
    return (math.sin(2 * math.pi * 3.7 * t + ph) + 0.6 * math.sin(2 * math.pi * 5.3 * t + round(ph * 2, 2))
            + 0.4 * math.sin(2 * math.pi * 1.1 * t + round(ph * 3, 2)))


def mouth_opening(voice: str, t: float) -> float:
    """How far a mouth speaking with ``voice`` is open at t seconds, 0 (closed, as photographed) .. 1."""
    return min(1.0, max(0.0, (syllables(voice, t) - 0.05) / 0.9))


class Mouth:
    """The lips of a face layer, opened by dropping the lower lip and jaw below the lip seam.

    Output pixels between the seam and the seam moved down by the gap (a lens that closes at
    the corners) show the mouth's inside, anti-aliased by the share of each pixel row the gap
    covers; below it the lower lip and chin are pulled down, the whole way across the mouth
    and fading out sideways (0.15 face heights past the corners) and below the chin (over
    0.3 face heights).  Nothing above the seam or outside that region changes.
    """

    def __init__(self, layer: Layer, canvas: np.ndarray):
        lp = lips(layer.name)
        x, y, _, _, sx, sy = layer.placement()
        seam = np.array([(x + px * sx, y + py * sy) for px, py in lp.seam], np.float64)
        face_h = math.hypot((lp.chin[0] - lp.forehead[0]) * sx, (lp.chin[1] - lp.forehead[1]) * sy)
        self.peak = MOUTH_OPEN_PEAK * face_h  # px
        self.side_fade = 0.15 * face_h
        self.chin_fade = 0.3 * face_h
        self.lip_ramp = 0.2 * face_h  # the lower lip stretches over this depth near the corners
        self.chin_y = y + lp.chin[1] * sy
        xl, xr = seam[0, 0], seam[-1, 0]
        ch, cw = canvas.shape[:2]
        self.x0, self.x1 = int(math.floor(xl - self.side_fade)), int(math.ceil(xr + self.side_fade))
        self.y0 = int(math.floor(seam[:, 1].min())) - 2
        self.y1 = int(math.ceil(self.chin_y + self.peak + self.chin_fade)) + 2
        assert 0 <= self.x0 < self.x1 <= cw and 0 <= self.y0 < self.y1 <= ch, (layer, self.x0, self.y1)
        xc = np.arange(self.x0, self.x1, dtype=np.float64) + 0.5
        self.seam_y = np.interp(xc, seam[:, 0], seam[:, 1])
        along = np.clip((xc - xl) / (xr - xl), 0.0, 1.0)
        skew = math.log(0.5) / math.log(lp.widest)  # along ** skew = 0.5 where the gap is widest
        self.gap_shape = np.where((xc > xl) & (xc < xr), np.sin(math.pi * along ** skew), 0.0)
        out = np.maximum(np.maximum(xl - xc, xc - xr), 0.0)
        self.jaw_shape = np.where(out < self.side_fade, 0.5 + 0.5 * np.cos(math.pi * out / self.side_fade), 0.0)
        self.src = canvas[self.y0 : self.y1, self.x0 : self.x1].copy()
        rgb = photo(layer.name)
        grey = bool(np.all(rgb[..., 0] == rgb[..., 1]) and np.all(rgb[..., 1] == rgb[..., 2]))
        inside = np.array(MOUTH_INSIDE_RGB, np.float32)
        if grey:
            inside[:] = 0.299 * inside[0] + 0.587 * inside[1] + 0.114 * inside[2]
        self.inside = inside

    def open(self, frame: np.ndarray, ox: int, oy: int, opening: float) -> None:
        """Draw this mouth ``opening`` (0..1 of the peak) open into ``frame`` (the window at ox, oy)."""
        import cv2

        d = opening * self.peak
        ys = np.arange(self.y0, self.y1, dtype=np.float64)[:, None] + 0.5
        seam = self.seam_y[None, :]
        gap = d * self.gap_shape[None, :]
        jaw = d * self.jaw_shape[None, :]
        below_gap = ys - seam - gap
        stretch = smoothstep(np.clip(below_gap / self.lip_ramp, 0.0, 1.0))
        fade = 1.0 - smoothstep(np.clip((ys - self.chin_y - jaw) / self.chin_fade, 0.0, 1.0))
        drop = (gap + (jaw - gap) * stretch) * fade
        src_y = np.where(ys < seam, ys, np.where(below_gap < 0, seam, ys - drop))
        cover = np.clip(np.minimum(ys + 0.5, seam + gap) - np.maximum(ys - 0.5, seam), 0.0, 1.0)
        h, w = self.src.shape[:2]
        map_x = np.broadcast_to(np.arange(w, dtype=np.float32)[None, :], (h, w))
        map_y = (src_y - 0.5 - self.y0).astype(np.float32)
        warped = cv2.remap(self.src, np.ascontiguousarray(map_x), map_y, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        a = cover[..., None].astype(np.float32)
        out = warped + (self.inside - warped) * a
        fy, fx = self.y0 - oy, self.x0 - ox
        frame[fy : fy + h, fx : fx + w] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def background(spec: tuple, cw: int, ch: int) -> np.ndarray:
    """("texture", photo, tint_rgb, scale) | ("blur", photo, dim) | ("gradient", top_rgb, bottom_rgb)."""
    import cv2

    kind = spec[0]
    if kind == "texture":
        _, name, tint, scale = spec
        tile = resized(name, scale).astype(np.float32) * (np.array(tint, np.float32) / 255.0)
        reps = (math.ceil(ch / tile.shape[0]), math.ceil(cw / tile.shape[1]), 1)
        return np.clip(np.tile(tile, reps)[:ch, :cw], 0, 255).astype(np.uint8)
    if kind == "blur":
        _, name, dim = spec
        s = cover_scale(name, cw, ch)
        img = resized(name, s + 1e-6)
        y0, x0 = (img.shape[0] - ch) // 2, (img.shape[1] - cw) // 2
        img = cv2.GaussianBlur(img[y0 : y0 + ch, x0 : x0 + cw], (0, 0), 24)
        return np.clip(img.astype(np.float32) * dim, 0, 255).astype(np.uint8)
    if kind == "gradient":
        _, top, bottom = spec
        t = np.linspace(0, 1, ch, dtype=np.float32)[:, None, None]
        g = np.array(top, np.float32) + (np.array(bottom, np.float32) - np.array(top, np.float32)) * t
        return np.ascontiguousarray(np.broadcast_to(g, (ch, cw, 3)).astype(np.uint8))
    raise ValueError(spec)


# ---------------------------------------------------------------------------------------
# Shots
# ---------------------------------------------------------------------------------------


def linear(t: float) -> float:
    return t


def smoothstep(t: float) -> float:
    return t * t * (3 - 2 * t)


@dataclass
class CanvasShot:
    """A composed canvas seen through a 1920x1080 window moved by whole pixels.

    Static when ``start == end``.  Face boxes are exact: canvas box minus window offset.
    """

    frames: int
    kind: str
    bg: tuple
    layers: list[Layer]
    canvas_size: tuple[int, int] = (W, H)
    start: tuple[int, int] = (0, 0)  # window top-left at the first frame
    end: tuple[int, int] = (0, 0)  # ... and at the last frame
    ease: Callable[[float], float] = linear
    # who speaks when: (first frame, end frame exclusive, layer index, voice), absolute frames
    # of the whole sample (``assign_turns``); ``first`` is this shot's first absolute frame
    turns: list[tuple[int, int, int, str]] = field(default_factory=list)
    first: int = 0
    _canvas: np.ndarray | None = field(default=None, repr=False)
    _mouths: list | None = field(default=None, repr=False)

    @property
    def moving(self) -> bool:
        return self.start != self.end

    @property
    def camera(self) -> str:
        return "pan" if self.moving else "static"

    @property
    def sources(self) -> list[str]:
        return [self.bg[1] if self.bg[0] != "gradient" else "gradient"] + [l.name for l in self.layers]

    def offset(self, i: int) -> tuple[int, int]:
        t = self.ease(i / (self.frames - 1)) if self.frames > 1 else 0.0
        return (int(round(self.start[0] + (self.end[0] - self.start[0]) * t)),
                int(round(self.start[1] + (self.end[1] - self.start[1]) * t)))

    def canvas_faces(self) -> list[tuple[int, int, int, int]]:
        cw, ch = self.canvas_size
        return [b for b in (l.canvas_face(cw, ch) for l in self.layers) if b is not None]

    def faces(self, i: int) -> list[list[int]]:
        ox, oy = self.offset(i)
        out = []
        for x, y, w, h in self.canvas_faces():
            box = [x - ox, y - oy, w, h]
            assert 0 <= box[0] and box[0] + w <= W and 0 <= box[1] and box[1] + h <= H, (self.kind, i, box)
            out.append(box)
        return out

    def openings(self, i: int) -> tuple[float, ...]:
        """Per layer, how far its mouth is open in frame i (0..1, rounded to 1/1000)."""
        out = [0.0] * len(self.layers)
        n = self.first + i
        for a, b, k, voice in self.turns:
            if a <= n < b:
                out[k] = round(mouth_opening(voice, n / FPS), 3)
        return tuple(out)

    def key(self, i: int):
        return (self.offset(i), self.openings(i))

    def prepare(self) -> None:
        cw, ch = self.canvas_size
        canvas = background(self.bg, cw, ch)
        for layer in self.layers:
            layer.paste(canvas)
        self._canvas = canvas
        self._mouths = [Mouth(l, canvas) if any(k == j for _, _, k, _ in self.turns) else None
                        for j, l in enumerate(self.layers)]
        for i in (0, self.frames - 1):
            ox, oy = self.offset(i)
            assert 0 <= ox <= cw - W and 0 <= oy <= ch - H, (self.kind, ox, oy)

    def frame(self, i: int) -> np.ndarray:
        ox, oy = self.offset(i)
        view = self._canvas[oy : oy + H, ox : ox + W]
        opens = self.openings(i)
        if not any(opens):
            return view
        img = view.copy()
        for mouth, opening in zip(self._mouths, opens):
            if opening > 0:
                mouth.open(img, ox, oy, opening)
        return img

    def release(self) -> None:
        self._canvas = None
        self._mouths = None


@dataclass
class PhotoShot:
    """A face-free photograph filling the frame, optionally zooming/drifting (sub-pixel, bilinear).

    The view is centred at (cx, cy) in the photo's own pixels (relative 0..1) with zoom z,
    where z = 1 means the photo just covers the frame.
    """

    frames: int
    name: str
    centre0: tuple[float, float] = (0.5, 0.5)
    centre1: tuple[float, float] | None = None
    zoom0: float = 1.0
    zoom1: float | None = None
    ease: Callable[[float], float] = smoothstep
    kind: str = "no_face"
    _src: np.ndarray | None = field(default=None, repr=False)

    @property
    def moving(self) -> bool:
        return (self.centre1 not in (None, self.centre0)) or (self.zoom1 not in (None, self.zoom0))

    @property
    def camera(self) -> str:
        if not self.moving:
            return "static"
        return "zoom" if self.zoom1 not in (None, self.zoom0) else "pan"

    @property
    def sources(self) -> list[str]:
        return [self.name]

    def view(self, i: int) -> tuple[float, float, float]:
        t = self.ease(i / (self.frames - 1)) if self.frames > 1 else 0.0
        c1 = self.centre1 or self.centre0
        z1 = self.zoom1 or self.zoom0
        cx = self.centre0[0] + (c1[0] - self.centre0[0]) * t
        cy = self.centre0[1] + (c1[1] - self.centre0[1]) * t
        z = self.zoom0 * (z1 / self.zoom0) ** t  # geometric: perceptually constant zoom speed
        return cx, cy, z

    def faces(self, i: int) -> list[list[int]]:
        return []

    def key(self, i: int):
        return self.view(i)

    def _matrix(self, i: int) -> np.ndarray:
        ph, pw = photo(self.name).shape[:2]
        cx, cy, z = self.view(i)
        s = cover_scale(self.name, W, H) * z  # output px per photo px
        x0 = cx * pw - (W / 2) / s
        y0 = cy * ph - (H / 2) / s
        # The view must stay inside the photo.
        assert -1e-6 <= x0 and x0 + W / s <= pw + 1e-6 and -1e-6 <= y0 and y0 + H / s <= ph + 1e-6, (self.name, i)
        # Inverse map (dst -> src) with pixel-centre convention.
        return np.array([[1 / s, 0, x0 + 0.5 / s - 0.5], [0, 1 / s, y0 + 0.5 / s - 0.5]], np.float64)

    def prepare(self) -> None:
        self._src = photo(self.name)
        for i in (0, self.frames // 2, self.frames - 1):
            self._matrix(i)

    def frame(self, i: int) -> np.ndarray:
        import cv2

        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        return cv2.warpAffine(self._src, self._matrix(i), (W, H), flags=flags, borderMode=cv2.BORDER_REFLECT)

    def release(self) -> None:
        self._src = None


def subject_of(shot) -> str:
    if not shot.faces(0):
        return "none"
    return "moving" if shot.moving else "still"


# Shot builders --------------------------------------------------------------------------


def pan_face(frames, name, scale, x_from, x_to, y, bg, ease=linear):
    """The camera pans over a wide canvas so the face centre moves from x_from to x_to."""
    span = abs(x_to - x_from)
    cw = W + span
    face_cx = max(x_from, x_to)  # canvas x of the face; the window offset runs span..0 or 0..span
    layer = Layer(name, scale, face_at=(face_cx, y))
    start = (face_cx - x_from, 0)
    end = (face_cx - x_to, 0)
    return CanvasShot(frames, "pan_face", bg, [layer], (cw, H), start, end, ease)


def static_face(frames, name, scale, x, y, bg, kind=None):
    kind = kind or ("static_face" if abs(x - W / 2) < 200 else "static_face_offcentre")
    return CanvasShot(frames, kind, bg, [Layer(name, scale, face_at=(x, y))])


def dialogue(frames, left, right, bg, seam=960):
    """Two faces far apart (split two-shot): left/right = (photo, scale, face_x, face_y)."""
    (ln, ls, lx, ly), (rn, rs, rx, ry) = left, right
    layers = [Layer(ln, ls, face_at=(lx, ly), clip=(0, seam + 40)),
              Layer(rn, rs, face_at=(rx, ry), clip=(seam - 40, W), feather=80)]
    return CanvasShot(frames, "dialogue", bg, layers)


BRICK = ("texture", "brick", (150, 110, 90), 1.6)
GRAVEL = ("texture", "gravel", (120, 130, 150), 1.4)
GRASS = ("texture", "grass", (90, 140, 90), 1.5)
BLUR_COFFEE = ("blur", "coffee", 0.55)
BLUR_HUBBLE = ("blur", "hubble_deep_field", 0.8)
BLUR_ROCKET = ("blur", "rocket", 0.5)
BLUR_IHC = ("blur", "immunohistochemistry", 0.6)
NIGHT = ("gradient", (20, 24, 48), (70, 60, 90))
DUSK = ("gradient", (60, 40, 70), (160, 100, 80))

AST, CAM, TWIN = "astronaut", "camera", "astronaut_mirror"


def drama_shots() -> list:
    return [
        PhotoShot(180, "moon", (0.5, 0.5), None, 1.0, 1.4),                                   # 0
        pan_face(330, AST, 2.10, 300, 1500, 330, BRICK),                                      # 1
        PhotoShot(150, "rocket", (0.35, 0.55), None, 1.5),                                    # 2
        static_face(270, CAM, 2.80, 1450, 380, BLUR_COFFEE),                                  # 3
        PhotoShot(180, "page", (0.35, 0.5), (0.65, 0.5), 1.5),                                # 4
        dialogue(450, (AST, 2.05, 450, 360), (CAM, 2.80, 1470, 380), NIGHT),                  # 5
        PhotoShot(120, "coins", (0.5, 0.5), None, 1.2),                                       # 6
        static_face(300, AST, 2.30, 960, 360, GRASS),                                         # 7
        PhotoShot(150, "coffee", (0.5, 0.5)),                                                 # 8
        dialogue(420, (AST, 2.10, 440, 350), (TWIN, 2.10, 1480, 350), BLUR_HUBBLE),           # 9
        PhotoShot(135, "chelsea", (0.5, 0.5)),                                                # 10
        pan_face(300, CAM, 2.90, 1500, 350, 390, BLUR_ROCKET),                                # 11
        PhotoShot(210, "immunohistochemistry", (0.5, 0.5), None, 1.6, 1.0),                   # 12
        static_face(270, AST, 2.15, 1450, 340, BLUR_HUBBLE),                                  # 13
        PhotoShot(120, "horse"),                                                              # 14
        dialogue(480, (CAM, 2.90, 460, 390), (AST, 2.05, 1460, 350), DUSK),                   # 15
        PhotoShot(180, "retina", (0.5, 0.5), None, 1.0, 1.4),                                 # 16
        static_face(300, TWIN, 2.20, 480, 350, BRICK),                                        # 17
        PhotoShot(150, "coffee", (0.35, 0.4), None, 2.0),                                     # 18
        pan_face(330, AST, 2.20, 1450, 350, 360, GRAVEL, ease=smoothstep),                    # 19
        PhotoShot(240, "rocket", (0.36, 0.6), (0.64, 0.6), 1.4),                              # 20
        static_face(270, CAM, 3.20, 960, 420, BLUR_IHC),                                      # 21
        PhotoShot(150, "coins", (0.4, 0.45), None, 1.8, 2.3),                                 # 22
        dialogue(480, (TWIN, 2.15, 470, 350), (AST, 2.15, 1450, 350), GRAVEL),                # 23
        static_face(270, CAM, 2.70, 470, 380, NIGHT),                                         # 24
        static_face(330, AST, 2.45, 960, 380, BLUR_ROCKET),                                   # 25
        PhotoShot(435, "hubble_deep_field"),                                                  # 26
    ]


def short_shots() -> list:
    return [
        pan_face(150, AST, 2.10, 300, 1500, 330, GRAVEL),
        static_face(150, CAM, 2.80, 1450, 380, BLUR_COFFEE),
        dialogue(180, (AST, 2.05, 450, 360), (CAM, 2.80, 1470, 380), NIGHT),
        PhotoShot(120, "coffee", (0.5, 0.5)),
        static_face(150, AST, 2.30, 960, 360, BRICK),
        PhotoShot(150, "moon", (0.5, 0.5), None, 1.0, 1.4),
    ]


# ---------------------------------------------------------------------------------------
# Subtitles: one table per sample, same timings in every language
# ---------------------------------------------------------------------------------------
#
# Each cue: (shot index, start offset in the shot [s], duration [s], voice, texts).
# voice: F female, M male, R radio/phone/machine, P phone buzz (sound only), N narrator.
# A cue whose end passes its shot's end deliberately spans a cut (dialogue carried over
# the cut); such cuts are listed in the truth as "cuts_inside_cues".
#
# Plot (our own): astronaut Mara Quinn flies tomorrow.  Years ago her twin Nina took her
# medical exam for her.  Photographer Victor has the proof and blackmails her; it turns out
# her husband Daniel paid him first - and Daniel chose Nina.

LANGS = ("en", "es", "zh-Hans", "ja", "ar")

DRAMA_CUES = [
    (0, 0.8, 3.6, "N", ("Some secrets are older than the stars…", "Hay secretos más antiguos que las estrellas…",
                        "有些秘密，比星星还要古老……", "星よりも古い秘密がある…", "بعض الأسرار أقدم من النجوم…")),
    (1, 0.5, 3.0, "F", ("Tomorrow I fly. Nobody can stop that now.", "Mañana despego. Ya nadie puede impedirlo.",
                        "明天我就要飞了，谁也拦不住。", "明日、私は飛ぶ。\nもう誰にも止められない。",
                        "غدًا أطير. لا أحد يستطيع إيقاف ذلك الآن.")),
    (1, 4.0, 3.2, "F", ("Not the press. Not the agency.", "Ni la prensa. Ni la agencia.",
                        "媒体不行，航天局也不行。", "マスコミも、宇宙機関も。", "لا الصحافة، ولا الوكالة.")),
    (1, 7.8, 3.0, "F", ("And certainly not my husband.", "Y mucho menos mi marido.",
                        "更不会是我丈夫。", "まして夫になんて。", "وبالتأكيد ليس زوجي.")),
    (2, 1.0, 3.0, "R", ("Launch in thirty-six hours.", "Lanzamiento en treinta y seis horas.",
                        "距离发射还有三十六小时。", "打ち上げまで、あと36時間。", "الإطلاق بعد ستٍّ وثلاثين ساعة.")),
    (3, 0.6, 3.0, "M", ("Commander Mara Quinn. Still smiling?", "Comandante Mara Quinn. ¿Sigues sonriendo?",
                        "奎恩指挥官，还笑得出来吗？", "クイン船長。\nまだ笑っていられるか？",
                        "القائدة مارا كوين. أما زلتِ تبتسمين؟")),
    (3, 4.0, 3.2, "M", ("I kept the photo, Mara. The real one.", "Guardé la foto, Mara. La auténtica.",
                        "照片我留着呢，玛拉。真的那张。", "写真はまだ持ってる。本物の方だ。",
                        "احتفظتُ بالصورة يا مارا. الصورة الحقيقية.")),
    (3, 7.6, 2.8, "M", ("And your sister's signature is on this.", "Y la firma de tu hermana está aquí.",
                        "还有你妹妹的签名，就在这里。", "それに、妹の署名がここにある。",
                        "وتوقيع أختك موجود هنا.")),  # spans the cut 3 -> 4
    (4, 2.2, 3.0, "M", ("Page two. The medical exam. Her name.", "Página dos. El examen médico. Su nombre.",
                        "第二页，体检报告，她的名字。", "二ページ目。健康診断。\n彼女の名前。",
                        "الصفحة الثانية. الفحص الطبي. اسمها.")),
    (5, 0.5, 2.5, "F", ("What do you want, Victor?", "¿Qué quieres, Victor?",
                        "你想要什么，维克多？", "何が望みなの、ヴィクター？", "ماذا تريد يا فيكتور؟")),
    (5, 3.5, 3.0, "M", ("Fifty thousand. Cash. By midnight.", "Cincuenta mil. En efectivo.\nAntes de medianoche.",
                        "五万块，现金，午夜之前。", "五万ドル。現金で。真夜中までに。",
                        "خمسون ألفًا. نقدًا. قبل منتصف الليل.")),
    (5, 7.0, 2.8, "F", ("You're bluffing. That photo burned.", "Es un farol. Esa foto se quemó.",
                        "你在虚张声势，那张照片早烧了。", "はったりよ。\nあの写真は燃えたはず。",
                        "أنت تخادع. تلك الصورة احترقت.")),
    (5, 10.4, 3.2, "M", ("Then why is your phone ringing?", "¿Entonces por qué suena tu teléfono?",
                         "那你的电话为什么在响？", "じゃあ、なぜ電話が鳴ってる？", "إذن لماذا يرنّ هاتفك؟")),
    (6, 1.0, 2.8, "F", ("I don't have that kind of money!", "¡No tengo tanto dinero!",
                        "我根本没有那么多钱！", "そんな大金、持ってない！", "ليس لديّ هذا المبلغ!")),
    (7, 0.7, 3.0, "F", ("Daniel, it's me. Please pick up.", "Daniel, soy yo. Contesta, por favor.",
                        "丹尼尔，是我。快接电话。", "ダニエル、私よ。お願い、出て。", "دانيال، هذه أنا. أجب من فضلك.")),
    (7, 4.2, 2.6, "F", ("Just this once, answer me.", "Solo esta vez, contéstame.",
                        "就这一次，求你接吧。", "今回だけでいいから。", "هذه المرة فقط، أجبني.")),
    (7, 7.4, 2.2, "F", ("Hello? Who is this?", "¿Diga? ¿Quién es?",
                        "喂？你是谁？", "もしもし？誰なの？", "مرحبًا؟ من المتكلم؟")),
    (8, 0.5, 3.5, "R", ("Check the lab report, Commander.", "Revise el informe del laboratorio,\ncomandante.",
                        "去看看化验报告吧，指挥官。", "検査報告書を見るんだな、船長。",
                        "راجعي تقرير المختبر أيتها القائدة.")),
    (9, 0.6, 2.4, "F", ("You called me. After three years?", "¿Me llamas? ¿Después de tres años?",
                        "三年了，你才打给我？", "三年ぶりに電話？", "اتصلتِ بي؟ بعد ثلاث سنوات؟")),
    (9, 3.6, 3.2, "F", ("Victor knows. He knows about us.", "Victor lo sabe. Sabe lo nuestro.",
                        "维克多知道了，他知道我们的事。", "ヴィクターにばれた。\n私たちのこと。",
                        "فيكتور يعرف. يعرف أمرنا.")),
    (9, 7.2, 3.0, "F", ("Then we tell them the truth.", "Entonces contamos la verdad.",
                        "那我们就说出真相。", "なら、本当のことを話そう。", "إذن نقول لهم الحقيقة.")),
    (9, 11.0, 3.6, "F", ("The truth would bury us both, Nina.", "La verdad nos hundiría a las dos, Nina.",
                         "真相会毁了我们俩，妮娜。", "真実は二人とも破滅させるわ、\nニーナ。",
                         "الحقيقة ستدفننا معًا يا نينا.")),  # spans the cut 9 -> 10
    (10, 1.4, 2.8, "F", ("It was my name on that test, Mara.", "Era mi nombre en esa prueba, Mara.",
                         "那份体检上是我的名字，玛拉。", "あの検査は私の名前だった、\nマーラ。",
                         "كان اسمي على ذلك الفحص يا مارا.")),
    (11, 0.8, 2.8, "M", ("Midnight came and went, Commander.", "Ya pasó la medianoche, comandante.",
                         "午夜已经过了，指挥官。", "真夜中は過ぎたぞ、船長。", "مرّ منتصف الليل أيتها القائدة.")),
    (11, 3.9, 3.0, "M", ("So I made a phone call of my own.", "Así que yo también hice una llamada.",
                         "所以我也打了个电话。", "だから俺も電話をかけた。", "لذلك أجريتُ مكالمةً بنفسي.")),
    (11, 7.2, 1.6, "M", ("Guess who I called?", "¿Adivina a quién llamé?", "猜猜我打给了谁？", "誰に電話したと思う？",
                         "خمّني بمن اتصلت؟")),
    (12, 1.0, 3.0, "R", ("Sample B does not match the pilot.", "La muestra B no coincide con la piloto.",
                         "样本B与飞行员不符。", "検体Bは飛行士と一致しません。", "العيّنة ب لا تطابق الطيّارة.")),
    (12, 4.3, 2.4, "R", ("Then who took this test?", "¿Entonces quién hizo esta prueba?",
                         "那这份检测是谁做的？", "では、誰が検査を受けた？", "إذن من أجرى هذا الفحص؟")),
    (13, 0.8, 2.8, "F", ("Nina took the test for me.", "Nina hizo la prueba por mí.",
                         "是妮娜替我做的体检。", "ニーナが代わりに受けたの。", "نينا أجرت الفحص بدلًا مني.")),
    (13, 4.2, 3.0, "F", ("My heart was never strong enough to fly.", "Mi corazón nunca fue apto para volar.",
                         "我的心脏根本不适合飞行。", "私の心臓は、\n飛べる体じゃなかった。",
                         "قلبي لم يكن قويًا بما يكفي للطيران.")),
    (13, 7.6, 2.6, "F", ("And now Daniel will know it too…", "Y ahora Daniel también lo sabrá…",
                         "现在丹尼尔也要知道了……", "そして今、ダニエルにも知られる…",
                         "والآن سيعرف دانيال أيضًا…")),  # spans the cut 13 -> 14
    (15, 0.6, 2.6, "M", ("Your husband paid me first, Mara.", "Tu marido me pagó primero, Mara.",
                         "是你丈夫先付钱给我的，玛拉。", "先に金を払ったのはお前の夫だ。",
                         "زوجك دفع لي أولًا يا مارا.")),
    (15, 3.8, 2.4, "F", ("Daniel? That's a lie!", "¿Daniel? ¡Eso es mentira!",
                         "丹尼尔？你撒谎！", "ダニエルが？嘘よ！", "دانيال؟ هذه كذبة!")),
    (15, 6.8, 3.2, "M", ("He wanted you grounded. Forever.", "Quería que no volaras nunca más.",
                         "他想让你永远上不了天。", "あいつは、お前を\n二度と飛ばせたくない。",
                         "أرادك على الأرض. إلى الأبد.")),
    (15, 10.4, 2.0, "M", ("Ask him about Nina.", "Pregúntale por Nina.",
                          "去问问他妮娜的事。", "ニーナのことを聞いてみろ。", "اسأليه عن نينا.")),
    (15, 12.6, 2.0, "F", ("Nina? Who is Nina?", "¿Nina? ¿Quién es Nina?",
                          "妮娜？妮娜是谁？", "ニーナ？ニーナって誰？", "نينا؟ من هي نينا؟")),
    (16, 1.0, 3.5, "R", ("Retina scan complete.\nWelcome, Nina Quinn.", "Escaneo completado.\nBienvenida, Nina Quinn.",
                         "视网膜扫描完成。\n欢迎，妮娜·奎恩。", "網膜スキャン完了。\nようこそ、ニーナ・クイン。",
                         "اكتمل مسح الشبكية.\nمرحبًا نينا كوين.")),
    (17, 0.8, 2.8, "F", ("I never wanted your life, Mara.", "Nunca quise tu vida, Mara.",
                         "我从没想过要你的人生，玛拉。", "あなたの人生なんて\n欲しくなかった。",
                         "لم أرغب يومًا في حياتك يا مارا.")),
    (17, 4.2, 3.0, "F", ("But Daniel chose me. Years ago.", "Pero Daniel me eligió a mí. Hace años.",
                         "可丹尼尔选了我，很多年前。", "でもダニエルは私を選んだ。\n何年も前に。",
                         "لكن دانيال اختارني. منذ سنوات.")),
    (17, 7.8, 1.8, "F", ("I'm so sorry.", "Lo siento mucho.", "真的对不起。", "本当にごめんね。", "أنا آسفة جدًا.")),
    (18, 0.8, 2.6, "P", ("[Phone buzzing]", "[Vibra el teléfono]", "【手机震动】", "［スマホの振動音］",
                         "[اهتزاز الهاتف]")),
    (19, 0.8, 3.0, "F", ("Daniel. I know everything.", "Daniel. Lo sé todo.",
                         "丹尼尔，我全都知道了。", "ダニエル。全部知ってるわ。", "دانيال. أعرف كل شيء.")),
    (19, 4.4, 3.0, "F", ("The photo, the money, my sister.", "La foto, el dinero, mi hermana.",
                         "照片、钱，还有我妹妹。", "写真も、お金も、妹のことも。", "الصورة، والمال، وأختي.")),
    (19, 8.4, 3.0, "F", ("Now I'm going to fly without you.", "Ahora voy a volar sin ti.",
                         "现在，我要丢下你起飞。", "今度は、あなた抜きで飛ぶ。", "والآن سأطير من دونك.")),
    # ^ spans the cut 19 -> 20
    (20, 2.0, 3.0, "R", ("T-minus ten hours. Crew to the pad.", "Faltan diez horas.\nTripulación a la plataforma.",
                         "倒计时十小时，\n机组人员前往发射台。", "発射10時間前。乗員は発射台へ。",
                         "العدّ التنازلي: عشر ساعات. الطاقم إلى المنصة.")),
    (21, 0.5, 2.6, "M", ("You can't launch a lie, Mara.", "No puedes lanzar una mentira, Mara.",
                         "谎言是飞不上天的，玛拉。", "嘘は打ち上げられないぞ、マーラ。",
                         "لا يمكنك إطلاق كذبة يا مارا.")),
    (21, 3.3, 2.8, "M", ("I sent the photo to every paper.", "Envié la foto a todos los periódicos.",
                         "照片我已经发给所有报社了。", "写真は全部の新聞社に送った。",
                         "أرسلتُ الصورة إلى كل الصحف.")),
    (21, 6.4, 1.6, "M", ("Have you seen the news?", "¿Has visto las noticias?", "你看新闻了吗？", "ニュース、見たか？",
                         "هل رأيتِ الأخبار؟")),
    (22, 1.0, 3.0, "M", ("Your money's where we agreed, Victor.", "Tu dinero está donde acordamos, Victor.",
                         "钱放在老地方了，维克多。", "金はいつもの場所だ、ヴィクター。",
                         "مالك في المكان المتفق عليه يا فيكتور.")),
    (23, 0.6, 2.6, "F", ("Nina, you have to fly for me.", "Nina, tienes que volar por mí.",
                         "妮娜，你得替我去飞。", "ニーナ、私の代わりに飛んで。", "نينا، عليكِ أن تطيري بدلًا مني.")),
    (23, 3.8, 3.0, "F", ("Like last time? No. Never again.", "¿Como la última vez? No. Nunca más.",
                         "像上次那样？不，绝不再来。", "前みたいに？嫌よ。二度と。", "مثل المرة الماضية؟ لا. أبدًا.")),
    (23, 7.4, 3.2, "F", ("It's the only way we both survive.", "Es la única forma de salvarnos las dos.",
                         "这是我们俩活下去的唯一办法。", "二人が生き残る唯一の方法なの。",
                         "إنها الطريقة الوحيدة لننجو معًا.")),
    (23, 11.2, 3.0, "F", ("Then promise me one thing…", "Entonces prométeme una cosa…",
                          "那你答应我一件事……", "じゃあ、一つだけ約束して…", "إذن عديني بشيء واحد…")),
    (24, 0.8, 2.8, "M", ("Daniel, she knows. Where are you?", "Daniel, ella lo sabe. ¿Dónde estás?",
                         "丹尼尔，她知道了。你在哪？", "ダニエル、ばれたぞ。どこにいる？",
                         "دانيال، إنها تعرف. أين أنت؟")),
    (24, 4.4, 3.2, "M", ("Daniel? Answer me!", "¿Daniel? ¡Contéstame!", "丹尼尔？回答我！", "ダニエル？答えろ！",
                         "دانيال؟ أجبني!")),
    (25, 0.8, 2.8, "F", ("Daniel won't be answering, Victor.", "Daniel no va a contestar, Victor.",
                         "丹尼尔不会接的，维克多。", "ダニエルは出ないわ、ヴィクター。", "دانيال لن يجيب يا فيكتور.")),
    (25, 4.2, 3.0, "F", ("He's on the launch pad. With Nina.", "Está en la plataforma. Con Nina.",
                         "他在发射台上，和妮娜在一起。", "彼は発射台にいる。\nニーナと一緒に。",
                         "إنه على منصة الإطلاق. مع نينا.")),
    (25, 7.4, 2.2, "F", ("Guess which one comes back?", "¿Adivinas cuál de los dos vuelve?",
                         "猜猜谁能回来？", "戻るのはどっちだと思う？", "خمّن من منهما سيعود؟")),
    (26, 1.0, 3.5, "N", ("Some secrets launch. Others explode.", "Hay secretos que despegan. Otros explotan.",
                         "有些秘密会升空，有些会爆炸。", "飛び立つ秘密もあれば、\n爆発する秘密もある。",
                         "بعض الأسرار تنطلق. وبعضها ينفجر.")),
    (26, 6.0, 3.0, "N", ("To be continued…", "Continuará…", "未完待续……", "つづく…", "يُتبع…")),
]

SHORT_CUES = [
    (0, 0.5, 3.0, "F", ("Tomorrow I fly. Nobody can stop that now.",)),
    (1, 0.6, 3.0, "M", ("I kept the photo, Mara. The real one.",)),
    (2, 0.4, 2.4, "F", ("What do you want, Victor?",)),
    (2, 3.6, 3.0, "M", ("Fifty thousand. Cash. By midnight.",)),  # spans the cut 2 -> 3
    (3, 1.2, 2.4, "P", ("[Phone buzzing]",)),
    (4, 0.6, 3.0, "F", ("Hello? Who is this?",)),
    (5, 1.0, 3.0, "N", ("To be continued…",)),
]

# Sound effects besides speech: (shot index, offset [s], duration [s], kind).
DRAMA_SFX = [(5, 9.6, 4.6, "buzz"), (18, 0.5, 3.2, "buzz")]
SHORT_SFX = [(3, 1.0, 2.8, "buzz")]

# Shots whose end gets a loud sting right before the cut (a scene-ending hook).
DRAMA_STINGS = [5, 11, 15, 21, 25]
SHORT_STINGS = [2, 4]

SAMPLES = {
    "drama": dict(shots=drama_shots, cues=DRAMA_CUES, langs=LANGS, sfx=DRAMA_SFX, stings=DRAMA_STINGS,
                  frames=7200),
    "short": dict(shots=short_shots, cues=SHORT_CUES, langs=("en",), sfx=SHORT_SFX, stings=SHORT_STINGS,
                  frames=900),
}

SUB_FILES = {  # lang -> (file name pattern, encoding, newline)
    "en": ("{name}.en.srt", "utf-8", "\n"),
    "es": ("{name}.es.vtt", "utf-8", "\n"),
    "zh-Hans": ("{name}.zh-Hans.gbk.srt", "gbk", "\r\n"),  # legacy: GBK with CRLF line ends
    "ja": ("{name}.ja.srt", "utf-8-sig", "\n"),  # UTF-8 with BOM
    "ar": ("{name}.ar.srt", "utf-8", "\n"),
}


def _is_cjk(lang: str) -> bool:
    return lang in ("zh-Hans", "ja")


def wrap(text: str, lang: str) -> list[str]:
    """Explicit line breaks are kept; otherwise long lines are wrapped.  At most 2 lines."""
    limit = 16 if _is_cjk(lang) else 42
    if "\n" in text:
        lines = text.split("\n")
    elif len(text) <= limit:
        lines = [text]
    elif _is_cjk(lang):
        half = len(text) // 2
        cuts = [i + 1 for i, ch in enumerate(text[:-1]) if ch in "，、。？！：；…"]
        best = min(cuts, key=lambda i: abs(i - half)) if cuts else half
        lines = [text[:best], text[best:]]
    else:  # the most balanced break at a space
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        best = min(spaces, key=lambda i: max(i, len(text) - i - 1)) if spaces else limit
        lines = [text[:best].strip(), text[best:].strip()]
    assert 1 <= len(lines) <= 2 and all(0 < len(l) <= limit for l in lines), (lang, text, lines)
    return lines


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    voice: str
    texts: dict[str, list[str]]


def build_cues(spec: dict, shot_starts: list[int], shot_ends: list[int]) -> tuple[list[Cue], list[int]]:
    """Absolute cue times from the (shot, offset, duration) table; also the cuts inside cues."""
    cues, inside = [], []
    for shot, off, dur, voice, texts in spec["cues"]:
        assert len(texts) == len(spec["langs"]), texts
        assert 1.5 <= dur <= 5.0, (shot, off, dur)
        start = shot_starts[shot] / FPS + off
        end = start + dur
        crossed = [c for c in shot_starts[1:] if start * FPS < c < end * FPS]
        assert len(crossed) <= 1, (shot, off, dur)
        if crossed:  # a deliberate span: at most 2/3 of the cue after the cut
            assert crossed[0] == shot_ends[shot], (shot, off, dur)
        inside += crossed
        cues.append(Cue(int(round(start * 1000)), int(round(end * 1000)), voice,
                        {lang: wrap(t, lang) for lang, t in zip(spec["langs"], texts)}))
    for a, b in zip(cues, cues[1:]):
        assert b.start_ms - a.end_ms >= 200, (a, b)
    return cues, inside


def _ts(ms: int, sep: str) -> str:
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render_subs(cues: list[Cue], lang: str, vtt: bool) -> str:
    blocks = ["WEBVTT\n"] if vtt else []
    for n, cue in enumerate(cues, 1):
        sep = "." if vtt else ","
        timing = f"{_ts(cue.start_ms, sep)} --> {_ts(cue.end_ms, sep)}"
        head = [] if vtt else [str(n)]
        blocks.append("\n".join(head + [timing] + cue.texts[lang]) + "\n")
    return "\n".join(blocks)


def write_subs(name: str, cues: list[Cue], langs: tuple, out_dir: Path) -> list[Path]:
    """(Re)write the subtitle files, only where their bytes differ."""
    subs_dir = out_dir / "subs"
    subs_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang in langs:
        pattern, encoding, newline = SUB_FILES[lang]
        path = subs_dir / pattern.format(name=name)
        text = unicodedata.normalize("NFC", render_subs(cues, lang, vtt=path.suffix == ".vtt"))
        data = text.replace("\n", newline).encode(encoding)
        if not path.exists() or path.read_bytes() != data:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------
# Audio: lavfi sources mixed in one filtergraph
# ---------------------------------------------------------------------------------------


def _windows(intervals: list[tuple[float, float]]) -> str:
    return "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in intervals) or "0"


def audio_graph(shots: list, shot_starts: list[int], cues: list[Cue], sfx: list, stings: list[int],
                total_frames: int) -> str:
    dur = total_frames / FPS
    d = f"{dur:.3f}"
    chains, labels = [], []

    # Room tone, different per shot: a rumble bed and an air/hiss bed with per-shot levels.
    rumble, air = [], []
    for i, shot in enumerate(shots):
        a, b = shot_starts[i] / FPS, (shot_starts[i] + shot.frames) / FPS
        outdoor = isinstance(shot, PhotoShot)
        rumble.append(f"{0.10 + 0.05 * (i % 3):.2f}*gte(t,{a:.3f})*lt(t,{b:.3f})")
        air.append(f"{(0.030 if outdoor else 0.012) + 0.006 * (i % 2):.3f}*gte(t,{a:.3f})*lt(t,{b:.3f})")
    chains.append(f"anoisesrc=d={d}:c=brown:a=0.5:r={AUDIO_RATE}:seed=101,lowpass=f=300,"
                  f"volume=eval=frame:volume='{'+'.join(rumble)}'[room]")
    chains.append(f"anoisesrc=d={d}:c=pink:a=0.5:r={AUDIO_RATE}:seed=202,highpass=f=2000,"
                  f"volume=eval=frame:volume='{'+'.join(air)}'[air]")
    labels += ["[room]", "[air]"]

    # Speech-like bursts: band-passed noise plus a voiced tone, gated by the cues and a
    # syllable envelope (on/off ~4 Hz).
    for v, (seed, fc, octv, pitch, gain, ph) in VOICES.items():  # same envelope as ``syllables``
        iv = [(c.start_ms / 1000 + 0.05, c.end_ms / 1000 - 0.05) for c in cues if c.voice == v]
        if not iv:
            continue
        env = (f"gt(sin(2*PI*3.7*t+{ph})+0.6*sin(2*PI*5.3*t+{ph * 2:.2f})+0.4*sin(2*PI*1.1*t+{ph * 3:.2f}),0.05)")
        vol = f"{gain}*({_windows(iv)})*(0.08+0.92*{env})"
        chains.append(f"anoisesrc=d={d}:c=pink:a=0.6:r={AUDIO_RATE}:seed={seed}[vn{v}]")
        chains.append(f"sine=f={pitch}:r={AUDIO_RATE}:d={d},volume=0.12[vs{v}]")
        chains.append(f"[vn{v}][vs{v}]amix=inputs=2:normalize=0,"
                      f"bandpass=f={fc}:width_type=o:w={octv},volume=eval=frame:volume='{vol}'[v{v}]")
        labels.append(f"[v{v}]")

    # Phone buzz: a 170 Hz tone pulsing in the sfx windows.
    buzz = [(shot_starts[s] / FPS + off, shot_starts[s] / FPS + off + du) for s, off, du, k in sfx if k == "buzz"]
    buzz += [(c.start_ms / 1000, c.end_ms / 1000) for c in cues if c.voice == "P"]
    if buzz:
        chains.append(f"sine=f=170:r={AUDIO_RATE}:d={d},"
                      f"volume=eval=frame:volume='0.25*({_windows(buzz)})*gt(sin(2*PI*1.4*t),0)'[buzz]")
        labels.append("[buzz]")

    # Stings: a loud rising chord sweep in the 0.9 s before the chosen cuts.
    for k, s in enumerate(stings):
        cut = (shot_starts[s] + shots[s].frames) / FPS
        t0_ms = int(round((cut - 0.9) * 1000))
        expr = ("min(1,t*10)*(0.55+0.45*t/0.9)*(0.30*sin(2*PI*(110*t+90*t*t))"
                "+0.25*sin(2*PI*(220*t+180*t*t))+0.20*sin(2*PI*(330*t+270*t*t))+0.15*sin(2*PI*(440*t+360*t*t)))")
        chains.append(f"aevalsrc=exprs='{expr}':s={AUDIO_RATE}:d=0.9,adelay=delays={t0_ms}:all=1[st{k}]")
        labels.append(f"[st{k}]")

    chains.append(f"{''.join(labels)}amix=inputs={len(labels)}:duration=first:normalize=0,"
                  f"alimiter=limit=0.89:level=false:latency=true,atrim=duration={d},pan=stereo|c0=c0|c1=c0,"
                  f"aformat=sample_fmts=fltp:sample_rates={AUDIO_RATE}:channel_layouts=stereo[aout]")
    return ";".join(chains)


# ---------------------------------------------------------------------------------------
# Truth and encoding
# ---------------------------------------------------------------------------------------


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def shot_bounds(shots: list) -> tuple[list[int], list[int]]:
    starts, pos = [], 0
    for s in shots:
        starts.append(pos)
        pos += s.frames
    return starts, [a + s.frames for a, s in zip(starts, shots)]


def assign_turns(shots: list, starts: list[int], cues: list[Cue]) -> None:
    """Let the faces of each dialogue shot speak the cues heard during it.

    A cue's frames inside the shot (those whose time n/FPS lies in [cue start, cue end))
    become a turn of the face whose photo speaks with the cue's voice (``PHOTO_VOICE``); when
    both faces share that voice (the twins) the sides alternate, the shot's first such turn
    on the left.  Cues in no on-screen face's voice (narrator, radio, phone) are no turn.
    """
    for shot, a in zip(shots, starts):
        if shot.kind != "dialogue":
            continue
        (lx, *_), (rx, *_) = shot.canvas_faces()
        assert lx < rx, shot  # layer 0 is the left face
        shot.first, b = a, a + shot.frames
        voices = [PHOTO_VOICE.get(l.name.removesuffix("_mirror")) for l in shot.layers]
        shot.turns, last = [], None
        for c in cues:
            first = max(a, -(-c.start_ms * FPS // 1000))  # first frame at or after the start
            end = min(b, -(-c.end_ms * FPS // 1000))
            who = [k for k, v in enumerate(voices) if v == c.voice]
            if first >= end or not who:
                continue
            k = who[0] if len(who) == 1 else (0 if last is None else 1 - last)
            shot.turns.append((first, end, k, c.voice))
            last = k


def speakers_for(shots: list, starts: list[int]) -> list[dict]:
    """Per dialogue shot: its frames, both face boxes and the turns (frames where a mouth moves)."""
    out = []
    for shot, a in zip(shots, starts):
        if shot.kind != "dialogue":
            continue
        left, right = shot.faces(0)
        out.append({"start": a, "end": a + shot.frames, "faces": {"left": left, "right": right},
                    "turns": [[f, e, ("left", "right")[k]] for f, e, k, _ in shot.turns]})
    return out


def truth_for(name: str, shots: list, cues: list[Cue], inside: list[int], stings: list[int]) -> dict:
    starts, ends = shot_bounds(shots)
    faces = [box for s in shots for i in range(s.frames) for box in [s.faces(i)]]
    return {
        "name": name,
        "width": W,
        "height": H,
        "fps": f"{FPS}/1",
        "frame_count": ends[-1],
        "cuts": starts[1:],
        "shots": [{"start": a, "end": b, "kind": s.kind, "subject": subject_of(s), "camera": s.camera,
                   "sources": s.sources} for a, b, s in zip(starts, ends, shots)],
        "cuts_inside_cues": inside,
        "stings": [ends[s] for s in stings],  # cut frames preceded by a loud audio sting
        "cues_ms": [[c.start_ms, c.end_ms] for c in cues],
        # planted hooks: a question line, then a loud sting in the last 0.9 s, the cut,
        # then at least 1 s without dialogue
        "cliffhangers": [ends[s] for s in stings if ends[s] not in inside],
        "faces": faces,
        # dialogue shots: the face boxes and, per cue heard, whose mouth moves (``assign_turns``)
        "speakers": speakers_for(shots, starts),
    }


def dump_truth(truth: dict) -> str:
    """Compact, diff-friendly JSON: one line per key, per shot and per frame of faces."""
    lines = []
    for key, value in truth.items():
        if key in ("shots", "faces", "cues_ms", "speakers") and value:
            items = ",\n  ".join(json.dumps(v, separators=(", ", ": ")) for v in value)
            lines.append(f' {json.dumps(key)}: [\n  {items}\n ]')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def encode(shots: list, graph: str, out_path: Path, log_path: Path) -> None:
    import cv2

    cmd = [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{W}x{H}", "-framerate", str(FPS), "-i", "-",
        "-filter_complex", graph,
        "-map", "0:v", "-map", "[aout]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-profile:v", "high", "-g", "60",
        # cv2's RGB->I420 conversion is BT.601, limited range: tag the matrix so players agree.
        "-colorspace", "smpte170m", "-color_range", "tv",
        "-c:a", "aac", "-b:a", "128k", "-ar", str(AUDIO_RATE), "-ac", "2",
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-f", "mp4", str(out_path),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=log)
        fed = False
        try:
            for shot in shots:
                shot.prepare()
                last_key, buf = None, None
                for i in range(shot.frames):
                    key = shot.key(i)
                    if key != last_key:  # static stretches reuse the converted frame
                        buf = cv2.cvtColor(shot.frame(i), cv2.COLOR_RGB2YUV_I420)
                        last_key = key
                    proc.stdin.write(buf.data)
                shot.release()
            fed = True
        except BrokenPipeError:  # ffmpeg died; its log says why
            pass
        finally:
            if not fed:  # interrupted or failed: stop ffmpeg rather than let it finish a short file
                proc.kill()
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
            rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"ffmpeg failed ({rc}): {log_path.read_text(errors='replace')[-2000:]}")


def source_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def build(name: str, out_dir: Path, force: bool) -> str:
    spec = SAMPLES[name]
    shots = spec["shots"]()
    starts, ends = shot_bounds(shots)
    assert ends[-1] == spec["frames"], (name, ends[-1])
    cues, inside = build_cues(spec, starts, ends)
    assign_turns(shots, starts, cues)
    write_subs(name, cues, spec["langs"], out_dir)

    video, truth_path = out_dir / f"{name}.mp4", out_dir / f"{name}.truth.json"
    cache = out_dir / ".cache"
    stamp = cache / f"{name}.stamp"
    digest = source_hash()
    if (not force and video.exists() and truth_path.exists() and stamp.exists()
            and stamp.read_text().strip() == digest):
        return f"{name}: up to date ({video})"

    t0 = time.time()
    for a, b in zip(shots, shots[1:]):  # consecutive shots must differ (photo or framing)
        assert a.sources != b.sources or a.kind != b.kind, (a.kind, b.kind)
    truth = truth_for(name, shots, cues, inside, spec["stings"])
    graph = audio_graph(shots, starts, cues, spec["sfx"], spec["stings"], ends[-1])
    cache.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}.tmp"
    tmp_video = out_dir / f"{name}.mp4.{tag}"
    tmp_truth = out_dir / f"{name}.truth.json.{tag}"
    log = cache / f"{name}.ffmpeg.{tag}.log"  # its tail goes into the error if ffmpeg fails
    try:
        encode(shots, graph, tmp_video, log)
        tmp_truth.write_text(dump_truth(truth), encoding="utf-8")
        os.replace(tmp_video, video)
        os.replace(tmp_truth, truth_path)
    finally:
        for p in (tmp_video, tmp_truth, log):
            p.unlink(missing_ok=True)
    stamp.write_text(digest + "\n")
    return (f"{name}: built {video} ({ends[-1]} frames, {len(shots)} shots, {len(cues)} cues) "
            f"in {time.time() - t0:.1f} s")


def main(argv: list[str] | None = None) -> int:
    # Let SIGTERM unwind like Ctrl-C so temporary files are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", choices=[*SAMPLES, "all"], default="all")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: samples/)")
    args = ap.parse_args(argv)
    names = list(SAMPLES) if args.name == "all" else [args.name]
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(build(name, args.out, args.force), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
