"""Forensic watermark: an invisible mark that carries a 32-bit recipient ID in every frame.

Embedding (no Python in the render's pixel path): the ID's 32 bits and 32 Reed-Solomon
parity bits (RS(8, 4) over bytes, 2 byte errors or 4 erasures corrected) each own a
pseudo-random +-1 pattern over a coarse grid of ``GRID_W`` x ``GRID_H`` cells; with a
fixed sync pattern they sum to one grid ``M``, sampled smoothly at every pixel of the output.
``M`` is shrunk towards 0 (soft thresholding) so that only the ``KEEP_SHARE`` of the picture
where it is largest carries it, without edges; the luma offset is ``s(t)`` times that, scaled
to RMS ``AMPLITUDE_LEVELS``, with ``s`` a square wave of period ``PERIOD_S`` (+1 the first
half, -1 the second). The mark holds still between its flips, so x264 codes a change at the
flips only, and there only in the macroblocks the mark covers (the rest stay skipped): what
the mark costs goes with its flips a second and the share of the picture it changes
(bench/watermark_results.md). ``write_pattern`` writes one period of it (+M, -M) at the
output's size as a raw yuv420p clip; the render's ffmpeg graph loops its two pictures and
adds them to the luma with two SIMD passes, leaving luma below video black untouched
(``verticalize.media.encode.watermark_blend``).

Detection (``detect``) decodes the suspect copy at 72 x 128 and reads the flips as steps:
for each of ``PHASES`` guesses of their timing, the mean picture in the 0.05 s after each flip less
that in the 0.05 s before it (a frame or two), signed by the flip's direction and summed (the picture's own
content mostly cancels between two frames next to each other, so a flip reads well even in a
shot of a second; a flip with a cut next to it is left out). It then searches crop boxes
(up to 15% cut from the sides and scaled back) and the timing guesses for the sync
pattern, reads the 64 bits by correlation and decodes the code. Each correlation is measured
against the noise of its own timing guess, from decoy patterns made blind to the mark.
Timing comes from the decoded frames' seconds, so other frame rates and excerpts read the same.
"""
from __future__ import annotations

import functools
import itertools
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import reedsolo

from verticalize.errors import InputError, OptionsError
from verticalize.media.decode import decode_frames
from verticalize.media.encode import MarkPattern
from verticalize.media.probe import frame_times, probe
from verticalize.options import WATERMARK_ID_MAX
from verticalize.watermark_kernels import correlate

ID_MAX = WATERMARK_ID_MAX
GRID_W, GRID_H = 18, 32           # pattern cells across and down the 9:16 picture
PERIOD_S = 4.0                    # period of the temporal modulation (a square wave: a flip every 2 s), s
STEPS_PER_PERIOD = 2              # pattern pictures per period: +M, then -M
KEEP_SHARE = 0.4                  # share of the picture that carries the mark (where it is largest; 0 elsewhere)
# RMS of the luma offset over the picture, 8-bit levels, the same in every frame (each flip a step of twice it)
AMPLITUDE_LEVELS = 2.0
SYNC_SHARE = 0.4                  # share of the mark's energy in the sync pattern
DATA_BYTES, PARITY_BYTES = 4, 4
N_BITS = 8 * (DATA_BYTES + PARITY_BYTES)
SEED = 0x5EC7E7                   # the patterns' random seed: changing it orphans every marked file
DETECT_W, DETECT_H = 72, 128      # detection decodes at this size, px
WINDOW_S = 1.0                    # detection sums flips per window of this many seconds (excerpts are made of windows)
PHASES = 64                       # guesses of the flips' timing per half period (31 ms apart: under a frame at 30 fps)
STEP_S = 0.05                     # a flip is read as the mean picture this long after it less that before it, s (1-2 frames)
CUT_LEVEL = 8.0                   # mean absolute luma change between two frames that makes a cut, levels
N_DECOYS = 48                     # patterns blind to the mark whose correlations measure the noise
# detection thresholds: an ID needs all three above the largest of the reads of unmarked 10-s
# excerpts (bench/watermark_results.md, 2026-12-01: 3248 reads of 5 sources and 2 unmarked renders
# with the noise per timing guess: confidence 8.30, sync z 6.43, margin 1.18 at most); every attacked marked copy read right stayed above them (confidence
# 14.7, sync z 8.8, margin 3.0 at least). The sync z gate was 9 while the noise was pooled over the
# guesses (one guess holding a big change then reached 12.58 on an unmarked render).
SYNC_Z_MIN = 7.0
CODE_Z_MIN = 9.0
MARGIN_Z_MIN = 2.0                # ... and beat every other codeword the list decoder finds by this many sigma
FLIP_BITS = 10                    # list decoding: every subset of this many least reliable bits flipped
CROP_STEP = 0.025                 # crop search: fractions of width/height cut from each side
CROP_MAX = 0.15


def check_id(mark_id) -> int:
    """``mark_id`` as an int, or OptionsError when it is not an integer 0..2**32 - 1."""
    try:
        value = int(str(mark_id), 10)
    except ValueError:
        raise OptionsError(f"watermark_id {mark_id!r} is not an integer 0..{ID_MAX}") from None
    if not 0 <= value <= ID_MAX:
        raise OptionsError(f"watermark_id {value} is outside 0..{ID_MAX}")
    return value


_RS = reedsolo.RSCodec(PARITY_BYTES)


def code_bits(mark_id: int) -> np.ndarray:
    """The 64 code bits of ``mark_id`` as +-1 (big-endian ID bytes, then RS parity)."""
    word = bytes(_RS.encode(check_id(mark_id).to_bytes(DATA_BYTES, "big")))
    bits = np.unpackbits(np.frombuffer(word, np.uint8))
    return bits.astype(np.float64) * 2 - 1


def _grids(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=(n, GRID_H, GRID_W))


SYNC = _grids(SEED, 1)[0]
BIT_GRIDS = _grids(SEED + 1, N_BITS)


def _orthogonal_decoys(decoys: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """``decoys`` made blind to the mark: each less its part along ``patterns`` (the sync and bit
    grids) in the inner product of the detector's sampling (grids sampled at the DETECT_W x DETECT_H
    pixels of the whole picture), rescaled to the patterns' mean norm. A decoy's correlation with a
    marked picture is then noise alone, so a strong mark no longer inflates the noise it is measured
    against."""
    xs = (np.arange(DETECT_W) + 0.5) / DETECT_W
    ys = (np.arange(DETECT_H) + 0.5) / DETECT_H
    cells = GRID_H * GRID_W
    basis = np.eye(cells).reshape(cells, GRID_H, GRID_W)
    sampling = np.stack([sampled_grid(b, xs, ys).ravel() for b in basis], axis=1)  # pixels x cells
    gram = sampling.T @ sampling
    p = patterns.reshape(len(patterns), -1)
    d = decoys.reshape(len(decoys), -1)
    d = d - np.linalg.solve(p @ gram @ p.T, p @ gram @ d.T).T @ p
    norm = np.mean(np.einsum("ij,jk,ik->i", p, gram, p))
    d *= np.sqrt(norm / np.einsum("ij,jk,ik->i", d, gram, d))[:, None]
    return d.reshape(decoys.shape)


def mark_grid(mark_id: int) -> np.ndarray:
    """The mark's cell grid (GRID_H, GRID_W), RMS 1: sync plus each code bit's pattern."""
    bits = code_bits(mark_id)
    grid = math.sqrt(SYNC_SHARE) * SYNC + math.sqrt((1 - SYNC_SHARE) / N_BITS) * np.tensordot(bits, BIT_GRIDS, 1)
    return grid / np.sqrt(np.mean(grid ** 2))


def sampled_grid(grid: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``grid`` (gh, gw) bilinearly sampled at the points ``xs`` x ``ys`` (fractions of the picture's
    width and height, cell centres at (k + 0.5) / gw), clamped at the edges: (len(ys), len(xs)). The
    detector's kernel samples the same way (``watermark_kernels.correlate``)."""
    gh, gw = grid.shape
    gy = np.clip(np.asarray(ys, np.float64) * gh - 0.5, 0, gh - 1)
    gx = np.clip(np.asarray(xs, np.float64) * gw - 0.5, 0, gw - 1)
    r = np.minimum(gy.astype(int), gh - 2)
    c = np.minimum(gx.astype(int), gw - 2)
    fy, fx = (gy - r)[:, None], (gx - c)[None, :]
    return ((1 - fy) * (1 - fx) * grid[r][:, c] + (1 - fy) * fx * grid[r][:, c + 1]
            + fy * (1 - fx) * grid[r + 1][:, c] + fy * fx * grid[r + 1][:, c + 1])


def pattern_frames(mark_id: int, width: int, height: int) -> np.ndarray:
    """One modulation period of luma offsets around 128 for a ``width`` x ``height`` picture:
    (STEPS_PER_PERIOD, height, width) uint8, the square wave's halves (+M, then -M). M is the cell
    grid sampled at every pixel (smooth), shrunk towards 0 by the magnitude that leaves
    ``KEEP_SHARE`` of the pixels non-zero (soft thresholding: no edges, 0 over the rest), scaled
    to RMS ``AMPLITUDE_LEVELS`` and rounded."""
    field = sampled_grid(mark_grid(mark_id), (np.arange(width) + 0.5) / width, (np.arange(height) + 0.5) / height)
    shrink = np.quantile(np.abs(field), 1 - KEEP_SHARE)
    field = np.sign(field) * np.maximum(np.abs(field) - shrink, 0.0)
    offsets = np.round(AMPLITUDE_LEVELS * field / np.sqrt(np.mean(field ** 2)))
    wave = np.where(np.arange(STEPS_PER_PERIOD) < STEPS_PER_PERIOD // 2, 1.0, -1.0)
    return np.clip(128 + wave[:, None, None] * offsets, 0, 255).astype(np.uint8)


def write_pattern(mark_id: int, folder: str | os.PathLike, width: int, height: int) -> MarkPattern:
    """Write ``mark_id``'s pattern clip for a ``width`` x ``height`` output (both even; raw
    yuv420p, one period) into ``folder``."""
    luma = pattern_frames(mark_id, width, height)
    chroma = np.full((STEPS_PER_PERIOD, 2 * (height // 2) * (width // 2)), 128, np.uint8)
    data = np.concatenate([luma.reshape(STEPS_PER_PERIOD, -1), chroma], axis=1)
    path = Path(folder) / f"watermark{mark_id}.yuv"
    path.write_bytes(data.tobytes())
    return MarkPattern(path, width, height, STEPS_PER_PERIOD / PERIOD_S)


@functools.lru_cache(maxsize=1)
def decoys() -> np.ndarray:
    """The N_DECOYS noise patterns, blind to the mark (``_orthogonal_decoys``): made on the first
    read (0.6 s), not at import, so a marking render does not pay for them."""
    return _orthogonal_decoys(_grids(SEED + 2, N_DECOYS), np.concatenate([SYNC[None], BIT_GRIDS]))


@dataclass(frozen=True)
class Detection:
    """What ``detect`` read: ``id`` (None: no mark), ``confidence`` (z-score of the best listed
    codeword's correlation; a fixed codeword on noise gives N(0, 1), the best of the list more), ``sync_z`` (the sync pattern's
    z-score at the best crop box and phase), ``box`` (x0, x1, y0, y1: the part of the marked
    picture the copy shows), ``bit_errors`` (code bits read against the codeword), ``windows``
    (1-second windows used), ``margin`` (the winner's score over each other listed codeword's, in
    standard deviations of that difference; the smallest)."""

    id: int | None
    confidence: float
    sync_z: float
    box: tuple
    bit_errors: int
    windows: int
    margin: float = 0.0
    crop: tuple | None = None     # with a plan: the part of the copy read (inside its bars), fractions

    def as_json(self) -> dict:
        return {"id": self.id, "confidence": round(self.confidence, 2), "sync_z": round(self.sync_z, 2),
                "box": [round(v, 3) for v in self.box], "bit_errors": self.bit_errors, "windows": self.windows,
                "threshold": {"sync_z": SYNC_Z_MIN, "confidence": CODE_Z_MIN,
                                                             "margin": MARGIN_Z_MIN}, "margin": round(min(self.margin, 99.0), 2),
                "crop": None if self.crop is None else [round(v, 3) for v in self.crop]}


def window_images(frames) -> dict[int, np.ndarray]:
    """Step images of ``frames``, pairs (luma, time in s), per ``WINDOW_S`` window (keyed by its
    index): for each of ``PHASES`` guesses of when the square wave flips (flip times ``phase + k *
    PERIOD_S / 2``, the phase counted from time 0), the sum over the window's flips of the mean
    picture in the ``STEP_S`` after the flip less that in the ``STEP_S`` before, signed by the
    flip's direction: (PHASES, DETECT_H, DETECT_W). A flip with a cut (a jump of more than
    ``CUT_LEVEL``) within its two spans is left out; windows without a flip read are left out."""
    frames = list(frames)
    if len(frames) < 2:
        return {}
    luma = np.stack([f for f, _ in frames]).astype(np.float64)
    t = np.array([float(s) for _, s in frames])
    jumps = np.mean(np.abs(np.diff(luma.reshape(len(luma), -1), axis=0)), axis=1) > CUT_LEVEL
    shot = np.concatenate([[0], np.cumsum(jumps)])        # frames between cuts share a number
    total = np.concatenate([np.zeros((1, *luma.shape[1:])), np.cumsum(luma, axis=0)])
    half = PERIOD_S / 2
    out: dict[int, np.ndarray] = {}
    for j in range(PHASES):
        phase = j * half / PHASES
        for k in range(math.floor((t[0] - phase) / half), math.ceil((t[-1] - phase) / half) + 1):
            flip = phase + k * half
            a, m, b = np.searchsorted(t, [flip - STEP_S, flip, flip + STEP_S])
            if m - a < 1 or b - m < 1 or shot[a] != shot[b - 1]:
                continue
            step = (total[b] - total[m]) / (b - m) - (total[m] - total[a]) / (m - a)
            window = out.setdefault(int(flip // WINDOW_S), np.zeros((PHASES, DETECT_H, DETECT_W)))
            window[j] += step if k % 2 == 0 else -step
    return out


def step_images(frames) -> tuple[np.ndarray, int]:
    """Step images of ``frames`` (``window_images``) summed over the windows, and the number of
    windows read."""
    windows = window_images(frames)
    return sum(windows.values(), np.zeros((PHASES, DETECT_H, DETECT_W))), len(windows)


def luma_frames(path: str | os.PathLike, start_s: float = 0.0, duration_s: float | None = None, crop=None):
    """(luma at DETECT_W x DETECT_H as float32, time in s from ``start_s``) of the video's frames in
    [start_s, start_s + duration_s). ``crop``: (x0, x1, y0, y1), the part of the picture read, in
    fractions (None: all). Raises InputError for a file that is not a readable video."""
    info = probe(path)
    times = [float(t) for t in frame_times(info)] if info.vfr else None
    end = math.inf if duration_s is None else start_s + duration_s
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    for k, rgb in enumerate(decode_frames(info, DETECT_W, DETECT_H, crop=crop)):
        t = times[k] if times is not None and k < len(times) else k / float(info.fps)
        if t < start_s:
            continue
        if t >= end:
            break
        yield rgb.astype(np.float32) @ weights, t - start_s


BAR_SPREAD = 6.0                  # a row or column whose luma varies less than this over the copy is a bar, levels
BAR_SIZE = 96                     # bars are looked for at this many rows and columns
ASPECT_TOLERANCE = 0.2            # the picture inside bars is the marked one if its aspect is within 20%


def active_box(path: str | os.PathLike, aspect: float, start_s: float = 0.0, duration_s: float | None = None):
    """(x0, x1, y0, y1): the part of the copy's picture inside bars (rows and columns that stay
    the same, within BAR_SPREAD levels, over the frames read) when it is a picture of ``aspect``
    (width / height, displayed) within ASPECT_TOLERANCE; None when there are no bars or the
    inside is of another shape."""
    info = probe(path)
    lo = hi = None
    for k, rgb in enumerate(decode_frames(info, BAR_SIZE, BAR_SIZE)):
        t = k / float(info.fps)
        if t < start_s or k % 3:
            continue
        if duration_s is not None and t >= start_s + duration_s:
            break
        luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        lo = luma if lo is None else np.minimum(lo, luma)
        hi = luma if hi is None else np.maximum(hi, luma)
    if lo is None:
        return None
    spread = hi - lo
    cols = np.nonzero(spread.max(axis=0) > BAR_SPREAD)[0]
    rows = np.nonzero(spread.max(axis=1) > BAR_SPREAD)[0]
    if len(cols) == 0 or len(rows) == 0:
        return None
    box = (cols[0] / BAR_SIZE, (cols[-1] + 1) / BAR_SIZE, rows[0] / BAR_SIZE, (rows[-1] + 1) / BAR_SIZE)
    if box == (0.0, 1.0, 0.0, 1.0):
        return None
    width = (box[1] - box[0]) * info.width  # displayed, square pixels
    height = (box[3] - box[2]) * info.height
    return box if abs(width / height / aspect - 1) <= ASPECT_TOLERANCE else None


def crop_boxes() -> np.ndarray:
    """The crop hypotheses (x0, x1, y0, y1): every cut of 0..CROP_MAX from each side."""
    steps = np.arange(0, CROP_MAX + 1e-9, CROP_STEP)
    spans = [(a, 1 - b) for a in steps for b in steps if a + b <= CROP_MAX + 1e-9]
    return np.array([(x0, x1, y0, y1) for x0, x1 in spans for y0, y1 in spans])


def read_mark(images: np.ndarray, windows: int = 0) -> Detection:
    """Decode the mark from step images (``step_images``): (PHASES, DETECT_H, DETECT_W)."""
    images = images - images.mean(axis=(1, 2), keepdims=True)
    none = Detection(None, 0.0, 0.0, (0.0, 1.0, 0.0, 1.0), N_BITS, windows)
    if windows == 0 or not np.any(images):
        return none
    boxes = crop_boxes()
    noise = correlate(images, decoys(), boxes[:1])[0]  # (phases, decoys)
    sigma = np.sqrt(np.mean(noise ** 2, axis=1))     # per timing guess: one guess's big change stays its own
    sigma = np.where(sigma > 0, sigma, np.inf)
    sync = correlate(images, SYNC[None], boxes)[:, :, 0]  # (boxes, phases)
    zs = np.abs(sync) / sigma[None, :]
    best, phase = np.unravel_index(int(np.argmax(zs)), zs.shape)
    sync_z = float(zs[best, phase])
    combined = (np.sign(sync[best, phase]) * images[phase])[None]  # the flips' direction from the sync
    corr = correlate(combined, np.concatenate([BIT_GRIDS, decoys()]), boxes[best:best + 1])[0, 0]
    bit_sigma = math.sqrt(np.mean(corr[N_BITS:] ** 2))
    z = corr[:N_BITS] / bit_sigma
    box = tuple(float(v) for v in boxes[best])
    listed = candidates(z)
    if not listed:
        return Detection(None, 0.0, sync_z, box, N_BITS, windows)
    confidence, found = listed[0]
    bits = code_bits(found)
    # how surely the winner beats each other codeword: the score gap over its noise (2 sqrt(d) for
    # codewords d bits apart), so a near neighbour (RS codewords can be 5 bits apart) counts fairly
    margin = min((((confidence - c) * math.sqrt(N_BITS) / (2 * math.sqrt(np.sum(code_bits(other) != bits))))
                  for c, other in listed[1:]), default=math.inf)
    errors = int(np.sum(np.sign(z) != bits))
    # the list may miss the true codeword: a wrong one wins only narrowly, so the winner must stand out
    if sync_z < SYNC_Z_MIN or confidence < CODE_Z_MIN or margin < MARGIN_Z_MIN:
        return Detection(None, confidence, sync_z, box, errors, windows, margin)
    return Detection(found, confidence, sync_z, box, errors, windows, margin)


def candidates(z: np.ndarray) -> list[tuple[float, int]]:
    """(confidence, ID) of every codeword a list decoder finds for the bit z-scores, best first
    (confidence: sum of bit * z / 8; pure noise gives about N(0, 1) for a fixed codeword).

    Chase-style list: the hard bits with every subset of the ``FLIP_BITS`` least reliable bits
    flipped, each decoded by RS (up to 2 byte errors), and every choice of 4 of the 8 bytes
    kept with the other 4 erased (one codeword each)."""
    hard = z > 0
    weakest = np.argsort(np.abs(z))[:FLIP_BITS]
    words = set()
    for mask in range(1 << FLIP_BITS):
        bits = hard.copy()
        for k in range(FLIP_BITS):
            if mask >> k & 1:
                bits[weakest[k]] = not bits[weakest[k]]
        words.add(np.packbits(bits).tobytes())
    found = set()
    attempts = [(w, None) for w in words]
    hard_word = np.packbits(hard).tobytes()
    attempts += [(hard_word, list(e)) for e in itertools.combinations(range(DATA_BYTES + PARITY_BYTES), PARITY_BYTES)]
    for word, erase in attempts:
        try:
            data = _RS.decode(bytearray(word), erase_pos=erase)[0]  # it writes into its input: a copy
        except reedsolo.ReedSolomonError:
            continue
        found.add(int.from_bytes(bytes(data), "big"))
    return sorted(((float(np.dot(code_bits(c), z)) / math.sqrt(N_BITS), c) for c in found), reverse=True)


def detect(path: str | os.PathLike, start_s: float = 0.0, duration_s: float | None = None, plan=None) -> Detection:
    """Read the mark of the video at ``path`` (frames from ``start_s`` for ``duration_s`` seconds;
    None: to the end). ``plan`` (the marked output's plan): the copy is first aligned to the
    output's geometry: bars around a picture of the output's shape are cut away
    (``active_box``; the crop search alone covers cuts of up to 15% a side). Raises InputError
    for a file that is not a readable video, or one with no 1-second window free of cuts."""
    crop = None
    if plan is not None:
        crop = active_box(path, plan.target["width"] / plan.target["height"], start_s, duration_s)
    images, windows = step_images(luma_frames(path, start_s, duration_s, crop))
    if windows == 0:
        raise InputError("too short or all cuts: no 1-second window to read a watermark from", path)
    return replace(read_mark(images, windows), crop=crop)
