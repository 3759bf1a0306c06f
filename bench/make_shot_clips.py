#!/usr/bin/env python3
"""Shot-boundary test clips with exact ground truth, built from scikit-image's photographs.

Every frame is composed in numpy at 960x540 from photos bundled with scikit-image
(pans, zooms, a moving cut-out for local motion), then piped into ffmpeg, which
upscales to the clip size, adds temporal film grain (so the bitrate is that of real
footage, not of flat synthetic pictures) and encodes H.264. The ground truth is
written from the same timeline that composes the frames, never from a detector.

Clips (1080p unless ``--size``; all 30 fps except ``vfr``):

=============  ==============================================================
``hard_cuts``  cuts between different photos, two framings of one photo, similar
               grey textures, a 0.5 s shot; slow pans and zooms
``dissolves``  cross-dissolves of 5 to 48 frames between moving shots, two cuts
``fades``      fade from black at the start, fade out/in through black, fade out
               then cut in, cut to black then fade in, dip to white, fade out at
               the end (the start and end fades are not shot boundaries)
``flashes``    1-3 white frames, brightness spikes, camera flashes that decay over
               4 frames (none is a boundary), and hard cuts
``pans``       fast pans, a whip pan with motion blur, a fast zoom, a large object
               crossing the frame (none is a boundary), and hard cuts
``vfr``        variable frame rate: 30, 24, 60 and 30 fps segments in one stream
               (timestamps in a 1/120 s time base), cuts and a dissolve
``montage``    fast cutting as in trailers and action: 30 s of moving shots of 6 to
               15 frames (a dozen of exactly 6), two framings of one photo in a row,
               single white or bright flash frames inside shots (not boundaries)
               and a few dissolves of 6 to 15 frames between longer shots
=============  ==============================================================

Truth ``NAME.truth.json``: ``frame_count``, ``fps`` (nominal), ``cuts`` (first frame of
each new shot after a hard cut), ``transitions`` (``[start, end]`` of each gradual
transition, end exclusive: frames start..end-1 are mixed or faded, ``end`` is the first
clean frame of the new shot), ``flashes`` and ``motion`` (``[start, end]`` spans that are
*not* boundaries), ``not_boundaries`` (fades at the very start or end), and for the VFR
clip ``times`` (presentation time of every frame, as "num/den" seconds).

A dissolve of L frames starting at s mixes frame s+j as (1-a) A + a B with
a = (j+1)/(L+1), so frame s-1 is the last pure A frame and s+L the first pure B frame.

Usage: ``python bench/make_shot_clips.py [--out DIR] [--size WxH] [--only NAME ...] [--force]``
(default ``bench/.clips``; each clip is cached by a hash of its timeline, the size and
``RENDER_VERSION``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RW, RH = 960, 540  # render size; ffmpeg upscales to the clip size
RENDER_VERSION = 2  # bump when the rendering changes; a clip is rebuilt when this or its timeline changes


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return os.environ.get("VERTICALIZE_FFMPEG") or imageio_ffmpeg.get_ffmpeg_exe()


# ------------------------------------------------------------------------------------
# Photos
# ------------------------------------------------------------------------------------

_TINTS = {"camera": (1.0, 0.95, 0.85), "coins": (1.0, 0.9, 0.7), "brick": (1.0, 0.8, 0.7),
          "grass": (0.7, 1.0, 0.6), "gravel": (0.9, 0.9, 1.0), "moon": (0.9, 0.95, 1.0),
          "clock": (1.0, 1.0, 0.9), "page": (1.0, 0.98, 0.9), "cell": (0.8, 0.9, 1.0)}
_photos: dict[str, np.ndarray] = {}


def photo(name: str) -> np.ndarray:
    """float32 RGB 0..255; ``NAME_wide`` is the photo and its mirror side by side (a seamless panorama)."""
    if name in _photos:
        return _photos[name]
    import skimage.data

    base = name.removesuffix("_wide")
    img = getattr(skimage.data, base)()
    if isinstance(img, tuple):
        img = img[0]
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None].astype(np.float32) * np.array(_TINTS.get(base, (1, 1, 1)), np.float32)
    img = img[..., :3].astype(np.float32)
    if name.endswith("_wide"):
        img = np.concatenate([img, img[:, ::-1], img, img[:, ::-1]], axis=1)
    _photos[name] = np.ascontiguousarray(img)
    return _photos[name]


def view(img: np.ndarray, cx: float, cy: float, vw: float, out_w: int = RW, out_h: int = RH) -> np.ndarray:
    """Bilinear sample of the axis-aligned window centred (cx, cy), vw image pixels wide, 16:9."""
    h, w, _ = img.shape
    vh = vw * out_h / out_w
    xs = np.clip(cx - vw / 2 + (np.arange(out_w) + 0.5) * vw / out_w - 0.5, 0, w - 1.001)
    ys = np.clip(cy - vh / 2 + (np.arange(out_h) + 0.5) * vh / out_h - 0.5, 0, h - 1.001)
    out = np.empty((out_h, out_w, 3), np.float32)
    _bilinear(img, xs, ys, out)
    return out


@numba.njit(cache=True)
def _bilinear(img, xs, ys, out):
    for i in range(ys.shape[0]):
        y0 = int(ys[i])
        fy = ys[i] - y0
        for j in range(xs.shape[0]):
            x0 = int(xs[j])
            fx = xs[j] - x0
            for c in range(3):
                top = img[y0, x0, c] * (1 - fx) + img[y0, x0 + 1, c] * fx
                bot = img[y0 + 1, x0, c] * (1 - fx) + img[y0 + 1, x0 + 1, c] * fx
                out[i, j, c] = top * (1 - fy) + bot * fy


# ------------------------------------------------------------------------------------
# Timeline
# ------------------------------------------------------------------------------------

@dataclass
class Shot:
    """A photo seen through a moving window: centre and width go linearly from ``a`` to ``b``
    (fractions of the photo: cx, cy, width) over ``move_frames`` (default: the shot's length)."""

    src: str
    frames: int
    a: tuple[float, float, float] = (0.5, 0.5, 0.8)
    b: tuple[float, float, float] | None = None
    sprite: str | None = None          # a photo cut-out crossing the frame left to right
    sprite_speed: float = 1.0          # frame widths per shot
    blur: int = 1                      # sub-frames averaged (motion blur) per frame
    move_frames: int | None = None

    def render(self, t: float) -> np.ndarray:
        img = photo(self.src)
        h, w, _ = img.shape
        out = np.zeros((RH, RW, 3), np.float32)
        for k in range(self.blur):
            tt = t + (k / self.blur - 0.5) * (1 if self.blur > 1 else 0)
            out += self._render_one(img, w, h, tt)
        out /= self.blur
        if self.sprite:
            sp = photo(self.sprite)
            sw, sh = RW // 4, RH // 3
            patch = view(sp, sp.shape[1] / 2, sp.shape[0] / 2, min(sp.shape[1], sp.shape[0] * 16 / 9) * 0.9, sw, sh)
            x = int(-sw + (RW + sw) * self.sprite_speed * t / max(1, self.frames)) % (RW + sw) - sw
            y = RH // 2 - sh // 2 + int(40 * np.sin(t / 9))
            x0, x1 = max(0, x), min(RW, x + sw)
            if x1 > x0:
                out[y:y + sh, x0:x1] = patch[:, x0 - x:x1 - x]
        return out

    def _render_one(self, img, w, h, t):
        b = self.b or self.a
        n = self.move_frames or self.frames
        u = min(1.0, max(0.0, t / max(1, n - 1)))
        cx, cy, fw = (pa + (pb - pa) * u for pa, pb in zip(self.a, b))
        vw = min(fw * w, w, h * 16 / 9)
        vh = vw * 9 / 16
        cx = min(max(cx * w, vw / 2), w - vw / 2)
        cy = min(max(cy * h, vh / 2), h - vh / 2)
        return view(img, cx, cy, vw)


@dataclass
class Clip:
    name: str
    items: list = field(default_factory=list)   # Shot, or a transition tuple between two shots
    fps: Fraction = Fraction(30)
    flashes: list = field(default_factory=list)  # (global frame, kind, levels)
    vfr_segments: list = field(default_factory=list)  # (first frame, fps)


def build(clip: Clip):
    """Frame recipes and ground truth from a clip's timeline.

    Transitions between consecutive shots: ``"cut"``, ``("dissolve", L)``,
    ``("fade", out, hold, in)`` (through black; out or in may be 0 for a hard cut),
    ``("white", out, in)`` (dip to white), ``("fade_in", L)`` before the first shot and
    ``("fade_out", L)`` after the last (not boundaries).
    """
    recipes: list = []          # per frame: list of (weight, shot index, local t) plus a constant
    truth = {"cuts": [], "transitions": [], "flashes": [], "motion": [], "not_boundaries": []}
    shots = [it for it in clip.items if isinstance(it, Shot)]
    si = -1
    pending = None
    for it in clip.items:
        if not isinstance(it, Shot):
            pending = it
            continue
        si += 1
        start = len(recipes)
        local0 = 0
        if si == 0 and isinstance(pending, tuple) and pending[0] == "fade_in":
            L = pending[1]
            for j in range(L):
                recipes.append(([((j + 1) / (L + 1), si, j)], 0.0))
            truth["not_boundaries"].append([0, L])
            local0 = L
        elif si > 0:
            prev = shots[si - 1]
            pt = prev.frames  # local time of prev after its own frames
            kind = pending if isinstance(pending, tuple) else (pending or "cut",)
            s = len(recipes)
            if kind[0] == "cut":
                truth["cuts"].append(s)
            elif kind[0] == "dissolve":
                L = kind[1]
                for j in range(L):
                    a = (j + 1) / (L + 1)
                    recipes.append(([(1 - a, si - 1, pt + j), (a, si, j)], 0.0))
                truth["transitions"].append([s, s + L])
                local0 = L
            elif kind[0] in ("fade", "white"):
                if kind[0] == "fade":
                    lo, hold, li = kind[1], kind[2], kind[3]
                    const = 0.0
                else:
                    lo, li, hold = kind[1], kind[2], 0
                    const = 255.0
                for j in range(lo):
                    g = 1 - (j + 1) / (lo + 1)
                    recipes.append(([(g, si - 1, pt + j)], (1 - g) * const))
                for j in range(hold):
                    recipes.append(([], const))
                for j in range(li):
                    g = (j + 1) / (li + 1)
                    recipes.append(([(g, si, j)], (1 - g) * const))
                truth["transitions"].append([s, s + lo + hold + li])
                local0 = li
            pending = None
        for j in range(local0, it.frames):
            recipes.append(([(1.0, si, j)], 0.0))
        if it.b is not None and it.b != it.a or it.sprite or it.blur > 1:
            truth["motion"].append([start, len(recipes)])
    if isinstance(pending, tuple) and pending[0] == "fade_out":
        L = pending[1]
        last = shots[-1]
        s = len(recipes)
        for j in range(L):
            recipes.append(([(1 - (j + 1) / (L + 1), si, last.frames + j)], 0.0))
        truth["not_boundaries"].append([s, s + L])
    for f, kind, levels in clip.flashes:
        truth["flashes"].append([f, f + len(levels)])
    return shots, recipes, truth


def compose(shots, recipes, flashes, i: int) -> np.ndarray:
    parts, const = recipes[i]
    out = np.full((RH, RW, 3), const, np.float32)
    for wgt, si, t in parts:
        out += wgt * shots[si].render(t)
    for f, kind, levels in flashes:
        if f <= i < f + len(levels):
            k = levels[i - f]
            out = out + k * (255.0 - out)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------
# The clips
# ------------------------------------------------------------------------------------

def clips() -> list[Clip]:
    S = Shot
    out = []
    out.append(Clip("hard_cuts", [
        S("astronaut", 75, (0.5, 0.45, 1.0), (0.5, 0.4, 0.8)),
        S("astronaut", 60, (0.45, 0.3, 0.45), (0.48, 0.3, 0.4)),              # same photo, close-up
        S("coffee", 90, (0.3, 0.5, 0.8), (0.7, 0.5, 0.8), sprite="chelsea"),
        S("rocket", 15, (0.5, 0.5, 0.9)),                                      # 0.5 s shot
        S("hubble_deep_field", 90, (0.3, 0.5, 0.5), (0.6, 0.5, 0.55)),
        S("brick", 60, (0.5, 0.5, 0.9)),
        S("gravel", 60, (0.5, 0.5, 0.9), (0.5, 0.5, 0.8)),                     # similar grey texture
        S("grass", 75, (0.4, 0.5, 0.9), (0.6, 0.5, 0.9)),
        S("chelsea", 90, (0.5, 0.5, 1.0), (0.55, 0.45, 0.6)),
        S("chelsea", 45, (0.3, 0.5, 0.5)),                                     # same photo, other framing
        S("stereo_motorcycle", 90, (0.2, 0.5, 0.7), (0.8, 0.5, 0.7)),
        S("camera", 60, (0.5, 0.4, 0.9)),
        S("coins", 60, (0.5, 0.5, 0.9), (0.5, 0.5, 0.7)),
        S("immunohistochemistry", 75, (0.5, 0.5, 0.9), sprite="coffee", sprite_speed=0.7),
        S("retina", 90, (0.5, 0.5, 0.8), (0.5, 0.5, 0.5)),
    ]))
    out.append(Clip("dissolves", [
        S("astronaut", 70, (0.5, 0.45, 1.0), (0.5, 0.4, 0.85)), ("dissolve", 5),
        S("coffee", 80, (0.3, 0.5, 0.8), (0.6, 0.5, 0.8)), ("dissolve", 10),
        S("rocket", 80, (0.5, 0.5, 0.9), (0.5, 0.45, 0.75)), ("dissolve", 15),
        S("hubble_deep_field", 90, (0.3, 0.5, 0.5), (0.6, 0.5, 0.5)), "cut",
        S("chelsea", 80, (0.5, 0.5, 1.0), sprite="coins"), ("dissolve", 24),
        S("stereo_motorcycle", 90, (0.3, 0.5, 0.7), (0.6, 0.5, 0.7)), ("dissolve", 36),
        S("retina", 100, (0.5, 0.5, 0.9), (0.5, 0.5, 0.6)), ("dissolve", 48),
        S("camera", 100, (0.5, 0.4, 0.9), (0.45, 0.4, 0.8)), "cut",
        S("immunohistochemistry", 80, (0.4, 0.5, 0.9), (0.6, 0.5, 0.9)), ("dissolve", 20),
        S("coins", 90, (0.5, 0.5, 0.9), (0.5, 0.5, 0.75)),
    ]))
    out.append(Clip("fades", [
        ("fade_in", 20),
        S("astronaut", 80, (0.5, 0.45, 1.0), (0.5, 0.4, 0.85)), ("fade", 15, 8, 15),
        S("coffee", 90, (0.3, 0.5, 0.8), (0.6, 0.5, 0.8)), ("fade", 20, 6, 0),
        S("rocket", 80, (0.5, 0.5, 0.9)), ("fade", 0, 6, 20),
        S("chelsea", 80, (0.5, 0.5, 1.0), (0.5, 0.45, 0.7)), ("white", 10, 10),
        S("stereo_motorcycle", 90, (0.3, 0.5, 0.7), (0.6, 0.5, 0.7)), "cut",
        S("hubble_deep_field", 80, (0.4, 0.5, 0.6)), ("fade", 30, 15, 30),
        S("retina", 90, (0.5, 0.5, 0.9), (0.5, 0.5, 0.6)), "cut",
        S("coins", 70, (0.5, 0.5, 0.9)), ("fade", 8, 0, 8),
        S("immunohistochemistry", 90, (0.4, 0.5, 0.9), (0.6, 0.5, 0.9)),
        ("fade_out", 25),
    ]))
    fl = Clip("flashes", [
        S("astronaut", 120, (0.5, 0.45, 1.0), (0.5, 0.4, 0.85)),
        S("coffee", 120, (0.3, 0.5, 0.8), (0.6, 0.5, 0.8), sprite="chelsea"),
        S("rocket", 120, (0.5, 0.5, 0.9), (0.5, 0.45, 0.8)),
        S("stereo_motorcycle", 120, (0.3, 0.5, 0.7), (0.6, 0.5, 0.7)),
        S("hubble_deep_field", 120, (0.4, 0.5, 0.6)),
        S("chelsea", 120, (0.5, 0.5, 1.0), (0.5, 0.45, 0.7)),
    ])
    fl.flashes = [(30, "white", [1.0]), (80, "white", [1.0, 1.0]), (150, "white", [1.0, 1.0, 1.0]),
                  (200, "spike", [0.6]), (270, "spike", [0.7, 0.4]), (330, "camera", [0.85, 0.5, 0.25, 0.1]),
                  (400, "camera", [0.9, 0.6, 0.3, 0.1]), (450, "spike", [0.5, 0.5, 0.5]),
                  (520, "white", [1.0]), (560, "camera", [0.8, 0.45, 0.2, 0.08]), (650, "spike", [0.8]),
                  (690, "white", [1.0, 1.0])]
    out.append(fl)
    out.append(Clip("pans", [
        S("hubble_deep_field_wide", 90, (0.1, 0.5, 0.12), (0.6, 0.5, 0.12)),         # fast pan
        S("astronaut_wide", 60, (0.15, 0.45, 0.22), (0.85, 0.45, 0.22), blur=4),     # whip pan, blurred
        S("coffee_wide", 90, (0.2, 0.5, 0.2), (0.5, 0.5, 0.2), move_frames=30),      # pan then hold
        S("retina", 60, (0.5, 0.5, 0.95), (0.5, 0.5, 0.25)),                         # fast zoom in
        S("immunohistochemistry", 90, (0.5, 0.5, 0.9), sprite="astronaut", sprite_speed=2.5),
        S("stereo_motorcycle_wide", 90, (0.1, 0.5, 0.2), (0.7, 0.5, 0.2)),
        S("rocket_wide", 75, (0.8, 0.5, 0.22), (0.2, 0.5, 0.22), blur=3),            # fast pan back, blurred
        S("chelsea_wide", 90, (0.1, 0.5, 0.22), (0.45, 0.5, 0.22)),
        S("coins", 60, (0.5, 0.5, 0.95), (0.5, 0.5, 0.4)),
    ]))
    vfr = Clip("vfr", [
        S("astronaut", 90, (0.5, 0.45, 1.0), (0.5, 0.4, 0.85)),
        S("coffee", 90, (0.3, 0.5, 0.8), (0.6, 0.5, 0.8)),
        S("rocket", 72, (0.5, 0.5, 0.9)), ("dissolve", 12),
        S("chelsea", 120, (0.5, 0.5, 1.0), (0.5, 0.45, 0.7)),
        S("hubble_deep_field", 90, (0.4, 0.5, 0.6)),
        S("retina", 60, (0.5, 0.5, 0.9), (0.5, 0.5, 0.6)),
    ])
    vfr.vfr_segments = [(0, Fraction(30)), (150, Fraction(24)), (270, Fraction(60)), (420, Fraction(30))]
    out.append(vfr)
    out.append(montage())
    return out


_MONTAGE_PHOTOS = ("astronaut", "coffee", "rocket", "chelsea", "hubble_deep_field", "stereo_motorcycle", "retina",
                   "camera", "coins", "immunohistochemistry", "brick", "grass", "moon", "clock", "cell",
                   "colorwheel", "text", "page", "gravel")


def montage(frames: int = 900, seed: int = 13) -> Clip:
    """Fast cutting: shots of 6-15 frames (one in eight exactly 6) through a seeded shuffle of the
    photos (no photo again within four shots, except one deliberate re-framing in a row), each
    panning or zooming; a dissolve after every twentieth shot (longer shots around it); single
    flash frames in the middle of some shots of 12 frames or more."""
    rng = np.random.default_rng(seed)
    items: list = []
    flashes: list = []
    recent: list[str] = []
    pos = 0          # first frame of the next shot (dissolves overlap the shots on both sides)
    k = 0
    while pos < frames:
        dissolve = k % 20 == 10
        if k % 8 == 3:
            n = 6
        else:
            n = int(rng.integers(6, 16))
        if dissolve or k % 20 == 11:
            n = int(rng.integers(24, 31))          # room for a dissolve on its edge
        if k == 30:                                 # the same photo again, another framing
            src = recent[-1]
        else:
            src = str(rng.choice([p for p in _MONTAGE_PHOTOS if p not in recent[-4:]]))
        cx, cy = rng.uniform(0.3, 0.7, 2)
        w0 = rng.uniform(0.45, 0.95)
        move = rng.choice(["pan", "zoom", "still"], p=[0.5, 0.3, 0.2])
        if k == 30:
            cx, w0, move = 1.0 - cx, 0.35, "still"
        if move == "pan":
            b = (cx + rng.choice([-1, 1]) * rng.uniform(0.05, 0.15), cy, w0)
        elif move == "zoom":
            b = (cx, cy, w0 * rng.uniform(0.7, 0.9))
        else:
            b = None
        sh = Shot(src, n, (float(cx), float(cy), float(w0)), None if b is None else tuple(float(v) for v in b))
        if items:
            items.append(("dissolve", int(rng.choice([6, 10, 15]))) if dissolve else "cut")
        items.append(sh)
        recent.append(src)
        if n >= 12 and not dissolve and k % 20 != 11 and k % 3 == 0:
            flashes.append((pos + n // 2, "white" if k % 2 else "spike", [1.0] if k % 2 else [0.7]))
        pos += n
        k += 1
    return Clip("montage", items, flashes=flashes)


def vfr_times(segments, n: int) -> list[Fraction]:
    times, t = [], Fraction(0)
    for i in range(n):
        fps = [f for s, f in segments if s <= i][-1]
        times.append(t)
        t += 1 / fps
    return times


def render_clip(clip: Clip, out_dir: Path, size: tuple[int, int], force: bool = False) -> Path:
    stamp_src = f"{RENDER_VERSION} {clip!r} {size!r}".encode()
    stamp = hashlib.sha256(stamp_src).hexdigest()[:16]
    mp4 = out_dir / f"{clip.name}.mp4"
    truth_path = out_dir / f"{clip.name}.truth.json"
    stamp_path = out_dir / f".{clip.name}.stamp"
    if not force and mp4.exists() and truth_path.exists() and stamp_path.exists() \
            and stamp_path.read_text() == stamp:
        return mp4
    shots, recipes, truth = build(clip)
    n = len(recipes)
    w, h = size
    tmp = mp4.with_suffix(".part.mp4")
    vf = f"scale={w}:{h}:flags=bicubic,noise=alls=5:allf=t,format=yuv420p"
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{RW}x{RH}", "-framerate", str(clip.fps), "-i", "-"]
    if clip.vfr_segments:
        times = vfr_times(clip.vfr_segments, n)
        # setpts from a piecewise expression in exact integer ticks of 1/120 s
        expr = "0"
        for s, f in clip.vfr_segments:  # the last segment is the outermost test
            t0 = times[s] * 120
            step = Fraction(120) / f
            assert t0.denominator == 1 and step.denominator == 1
            expr = f"if(gte(N,{s}),{t0.numerator}+(N-{s})*{step.numerator},{expr})"
        vf = f"settb=1/120,setpts='{expr}'," + vf
        cmd += ["-vf", vf, "-fps_mode", "passthrough", "-enc_time_base:v", "1/120", "-video_track_timescale", "120"]
        truth["times"] = [f"{t.numerator}/{t.denominator}" for t in times]
    else:
        cmd += ["-vf", vf]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "250", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(tmp)]
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    try:
        for i in range(n):
            proc.stdin.write(compose(shots, recipes, clip.flashes, i).tobytes())
    finally:
        proc.stdin.close()
        rc = proc.wait()
    if rc != 0:
        raise SystemExit(f"ffmpeg failed for {clip.name}")
    truth.update({"name": clip.name, "width": w, "height": h, "fps": str(clip.fps), "frame_count": n})
    tmp.replace(mp4)
    truth_path.write_text(json.dumps(truth, indent=1))
    stamp_path.write_text(stamp)
    return mp4


def make_all(out_dir: Path = HERE / ".clips", size=(1920, 1080), only=None, force=False) -> list[Path]:
    paths = []
    for clip in clips():
        if only and clip.name not in only:
            continue
        print(f"clip {clip.name} ...", file=sys.stderr, flush=True)
        paths.append(render_clip(clip, out_dir, size, force))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / ".clips"))
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    for p in make_all(Path(args.out), (w, h), args.only, args.force):
        print(p)


if __name__ == "__main__":
    main()
