"""The per-shot camera: where the crop window sits on every frame, and how it moves.

Decision only, no pixels. For each shot the subject comes from the strongest
signal present (faces, then saliency; weights in ``SIGNAL_WEIGHTS`` below),
then the shot gets a mode, as an operator would choose:

* ``static``: one window holds the subject all shot long; the crop never moves;
* ``pan``: a constant-velocity sweep;
* ``track``: an L1-optimal path (static, constant-velocity and eased pieces);
* ``speaker``: two faces cannot share the crop and their mouths show who
  speaks: the crop holds on the speaker and cuts (never pans) to the other at
  a change of turn, with hysteresis (``reframe.speakers``);
* ``pad``: what must be seen cannot fit in the crop and nobody is seen
  speaking: the whole frame is shown over a blurred copy of itself.

Every shot is solved on its own: nothing carries across a cut.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verticalize.options import DEFAULTS
from reframe.solver import PathWeights, quantize_path, solve_l1_path
from reframe.text import keep_whole
from reframe.tracks import link_tracks

MODES = ("static", "pan", "track", "speaker", "pad")

# Weight of each signal type when it sets the camera's target (AutoFlip ranks
# faces above persons above general saliency).
SIGNAL_WEIGHTS: dict[str, float] = {
    "faces": 1.0,
    "person": 0.6,
    "saliency": 0.25,
}


@dataclass(frozen=True)
class ShotPath:
    x: np.ndarray        # crop left edge per frame, source px (int64); full frame (0) for pad
    mode: str            # one of MODES
    subject: str         # "faces" | "person" | "saliency" | "hint"
    tracks: int = 0      # face tracks that count as subjects
    turns: tuple = ()    # speaker mode: (start, end, face centre x px) per turn


def _shot_face_tracks(start: int, end: int, faces: dict[int, list]) -> tuple[int, list]:
    """(face samples in frames [start, end), their face tracks)."""
    sampled = sorted(f for f in faces if start <= f < end)
    return len(sampled), (link_tracks([(f, faces[f]) for f in sampled]) if sampled else [])


def _subject_spans(start: int, end: int, n_sampled: int, tracks: list, crop_w: float, opts):
    """Per-frame (left, right) span to keep in frame, and whether the faces cannot all fit.

    ``n_sampled`` and ``tracks``: the shot's face samples and tracks (``_shot_face_tracks``).
    Returns (left, right, conf, needs_pad, main tracks) or None when no face track is a subject.
    """
    if not n_sampled:
        return None
    main = [t for t in tracks if len(t.frames) >= opts.main_face_presence * n_sampled]
    if not main:
        return None
    frames = np.arange(start, end)
    lefts, rights = [], []
    for t in main:
        lefts.append(np.interp(frames, t.frames, [b[0] for b in t.boxes]))
        rights.append(np.interp(frames, t.frames, [b[0] + b[2] for b in t.boxes]))
    left = np.min(lefts, axis=0)
    right = np.max(rights, axis=0)
    needs_pad = False
    if len(main) > 1 and np.any(right - left > crop_w - 4):
        # The speakers do not fit together. Without evidence of who speaks, show both (pad)
        # rather than pan through the empty space between them.
        needs_pad = True
    return left, right, np.full(len(frames), SIGNAL_WEIGHTS["faces"]), needs_pad, main


def _partial_faces(start: int, end: int, n_sampled: int, tracks: list, fps: float, opts):
    """Face centres on the frames a face is seen when no face track is a subject of the whole shot.

    A track whose samples span at least ``opts.face_track_min_s`` seconds counts over the
    frames it spans (first to last sample, centre interpolated between samples): a face
    that turns to the camera late in a shot, or walks out early. ``n_sampled`` and ``tracks``:
    as for ``_subject_spans``. Returns (centre px per frame, NaN where no such face is seen) or None.
    """
    if n_sampled < 2:
        return None
    tracks = [t for t in tracks if len(t.frames) >= 2 and (t.frames[-1] - t.frames[0]) >= opts.face_track_min_s * fps]
    if not tracks:
        return None
    centre = np.full(end - start, np.nan)
    for t in sorted(tracks, key=lambda t: len(t.frames)):  # the longest track wins where two overlap
        f0, f1 = t.frames[0], t.frames[-1]
        frames = np.arange(f0, f1 + 1)
        centre[f0 - start:f1 + 1 - start] = np.interp(frames, t.frames, [b[0] + b[2] / 2 for b in t.boxes])
    return centre


def _person_centres(start: int, end: int, persons: dict[int, object] | None, opts):
    """Per-frame person-span centre in the shot, or None when persons are too rarely seen.

    The person is followed through the shot only where it is seen: a frame whose nearest
    sample (earlier one on a tie) found no person gets NaN, so a person who leaves, or a
    view that changes within the shot, does not hold the crop where nobody is seen.
    Between two samples that saw a person the centre is interpolated.
    """
    sampled = sorted(f for f in (persons or {}) if start <= f < end)
    seen = [f for f in sampled if persons[f]]
    if not seen or len(seen) < opts.main_face_presence * len(sampled):
        return None
    centres = [(persons[f][0] + persons[f][1]) / 2 for f in seen]
    frames = np.arange(start, end)
    out = np.interp(frames, seen, centres)
    samples = np.asarray(sampled)
    if len(samples) > 1:  # each frame's nearest sample, the earlier one on a tie
        k = np.clip(np.searchsorted(samples, frames), 1, len(samples) - 1)
        k = np.where(np.abs(samples[k - 1] - frames) <= np.abs(samples[k] - frames), k - 1, k)
    else:
        k = np.zeros(len(frames), int)
    nobody = np.array([not persons[f] for f in sampled])[k]
    out[nobody] = np.nan
    return out


def _follow_speaker(start: int, end: int, main, mouths, source_width: int, crop_w: int, fps: float, opts):
    """A ``speaker`` path: one still window per turn, centred on the speaking face; None if nobody speaks."""
    from reframe.speakers import speaker_turns

    if not mouths:
        return None
    centres = [float(np.median([b[0] + b[2] / 2 for b in t.boxes])) for t in main]
    turns = speaker_turns(start, end, mouths, centres, fps, min_hold_s=opts.speaker_min_hold_s,
                          switch_s=opts.speaker_switch_s)
    if not turns:
        return None
    max_x = source_width - crop_w
    x = np.zeros(end - start, np.int64)
    out = []
    for t in turns:
        left = int(round(min(max(centres[t.face] - crop_w / 2, 0), max_x)))
        x[t.start - start:t.end - start] = left
        out.append((t.start, t.end, int(round(centres[t.face]))))
    return ShotPath(x, "speaker", "faces", len(main), tuple(out))


def hint_x(hint, max_x: int) -> int:
    """The crop's left edge (source px, 0..max_x) that an editor's hint asks for.

    ``hint``: "left" (0), "center" (``max_x // 2``), "right" (``max_x``) or an
    integer left edge, clamped into 0..max_x.
    """
    x = {"left": 0, "center": max_x // 2, "right": max_x}.get(hint, hint)
    return int(min(max(0, int(round(x))), max(0, max_x)))


def _solve_inside(start, end, faces, saliency_centres, crop_w, fps, opts, hint, persons, mouths, saliency_widths,
                  x_range, text_extent) -> ShotPath:
    """``solve_shot`` within the active picture [x0, x1): every signal shifted by -x0, solved on a
    picture x1 - x0 wide, and the path shifted back."""
    ax0, ax1 = int(x_range[0]), int(x_range[1])
    n = end - start
    if ax1 - ax0 < crop_w:  # the picture is narrower than the crop: show it whole
        return ShotPath(np.full(n, ax0, np.int64), "pad", "bars")
    moved_faces = {f: [(b[0] - ax0,) + tuple(b[1:]) for b in v] for f, v in faces.items()}
    moved_persons = None if persons is None else {
        f: None if v is None else (v[0] - ax0, v[1] - ax0) + tuple(v[2:]) for f, v in persons.items()}
    moved_mouths = None if mouths is None else {f: [(c - ax0,) + tuple(r) for c, *r in v] for f, v in mouths.items()}
    moved_text = None if text_extent is None else (text_extent[0] - ax0, text_extent[1] - ax0)
    p = solve_shot(start, end, moved_faces, np.asarray(saliency_centres, np.float64) - ax0, ax1 - ax0, crop_w, fps,
                   opts, hint, moved_persons, moved_mouths, saliency_widths, None, moved_text)
    turns = tuple((s, e, c + ax0) for s, e, c in p.turns)
    return ShotPath(p.x + ax0, p.mode, p.subject, p.tracks, turns)


def solve_shot(start: int, end: int, faces: dict[int, list], saliency_centres: np.ndarray,
               source_width: int, crop_w: int, fps: float, opts=DEFAULTS, hint=None,
               persons: dict[int, object] | None = None, mouths: dict | None = None,
               saliency_widths: np.ndarray | None = None, x_range: tuple[int, int] | None = None,
               text_extent: tuple[float, float] | None = None) -> ShotPath:
    """Crop path for frames [start, end) of one shot.

    faces: sampled frame -> list of (x, y, w, h, score) in source px (empty list = no face).
    saliency_centres: best-window centre per source frame, source px.
    hint: None, an integer left edge, or "left" / "center" / "right" (an editor's override).
    mouths: sampled frame -> [(face centre x px, lip gap)] (``reframe.speakers.MouthSampler``).
    saliency_widths: width of the main salient region per source frame, source px; with no face
    and no person, a shot whose median width exceeds ``opts.subject_pad_width`` crop widths is ``pad``.
    x_range: (x0, x1) source px of the active picture (letterbox and pillarbox bars left out):
    the crop stays inside it; a picture narrower than the crop makes the shot ``pad``.
    text_extent: (x0, x1) source px of burned-in text (titles, credits, signs): framed whole
    when it fits in the crop, else the shot is ``pad``.
    """
    n = end - start
    if n <= 0:
        raise ValueError("empty shot")
    if x_range is not None and tuple(x_range) != (0, source_width):
        return _solve_inside(start, end, faces, saliency_centres, crop_w, fps, opts, hint, persons, mouths,
                             saliency_widths, x_range, text_extent)
    max_x = float(source_width - crop_w)
    if hint is not None:
        return ShotPath(np.full(n, hint_x(hint, source_width - crop_w), np.int64), "static", "hint")
    if max_x <= 0:
        return ShotPath(np.zeros(n, np.int64), "static", "faces")
    margin = opts.face_margin_frac * crop_w
    whole = None
    if text_extent is not None:  # burned-in text: framed whole if it fits, else the shot is pad
        whole = keep_whole(text_extent, crop_w, 0, source_width, margin)
        if whole is None:
            return ShotPath(np.zeros(n, np.int64), "pad", "text")
    n_sampled, tracks = _shot_face_tracks(start, end, faces)
    spans = _subject_spans(start, end, n_sampled, tracks, crop_w, opts)
    if spans is not None:
        left, right, conf, needs_pad, main = spans
        n_main = len(main)
        if needs_pad:
            follow = _follow_speaker(start, end, main, mouths, source_width, crop_w, fps, opts)
            return follow if follow is not None else ShotPath(np.zeros(n, np.int64), "pad", "faces", n_main)
        subject = "faces"
        # positions that keep the span inside with the margin (relaxed if it cannot fit)
        m = np.where(right - left + 2 * margin <= crop_w, margin, np.maximum(0.0, (crop_w - (right - left)) / 2))
        lo = np.clip(right + m - crop_w, 0.0, max_x)
        hi = np.maximum(np.clip(left - m, 0.0, max_x), lo)
    else:
        n_main = 0
        sal = np.asarray(saliency_centres[start:end], np.float64)
        person = _person_centres(start, end, persons, opts)
        if person is None:
            if saliency_widths is not None and \
                    np.median(saliency_widths[start:end]) > opts.subject_pad_width * crop_w:
                return ShotPath(np.zeros(n, np.int64), "pad", "saliency")  # the subject is wider than the crop
            subject, left, conf = "saliency", sal, np.full(n, SIGNAL_WEIGHTS["saliency"])
        else:  # weighted fusion where a person is seen (persons count more than general saliency)
            wp, ws = SIGNAL_WEIGHTS["person"], SIGNAL_WEIGHTS["saliency"]
            seen = ~np.isnan(person)
            subject = "person"
            left = np.where(seen, (wp * np.where(seen, person, 0.0) + ws * sal) / (wp + ws), sal)
            conf = np.where(seen, wp, ws)
        partial = _partial_faces(start, end, n_sampled, tracks, fps, opts)
        if partial is not None:  # a face seen on part of the shot sets the target there
            seen = ~np.isnan(partial)
            left = np.where(seen, partial, left)
            conf = np.where(seen, SIGNAL_WEIGHTS["faces"], conf)
            subject = "faces"
        right = left
        lo, hi = np.zeros(n), np.full(n, max_x)
    if whole is not None:  # the text wins: only windows that hold it whole
        lo = np.clip(lo, whole[0], whole[1])
        hi = np.clip(hi, lo, whole[1])
    centre = (left + right) / 2
    target = np.clip(centre - crop_w / 2, lo, hi)

    # static: the subject stays within tolerance and one window holds it throughout
    travel = float(centre.max() - centre.min())
    if travel <= opts.static_tolerance_frac * source_width and lo.max() <= hi.min():
        x = float(np.clip(np.median(target), lo.max(), hi.min()))
        return ShotPath(np.full(n, int(round(x)), np.int64), "static", subject, n_main)

    v_max = opts.max_velocity_frac_s * source_width / fps
    a_max = opts.max_accel_frac_s2 * source_width / fps ** 2
    path = solve_l1_path(target, conf, lo, hi, v_max, a_max, PathWeights())
    if path.max() - path.min() < 1.0 and lo.max() <= hi.min():
        x = float(np.clip(np.median(path), lo.max(), hi.min()))
        return ShotPath(np.full(n, int(round(x)), np.int64), "static", subject, n_main)
    xi = quantize_path(path, lo, hi)
    accel = np.abs(np.diff(path, 2)) if n > 2 else np.zeros(1)
    speed = np.diff(path)
    mode = "pan" if (np.all(accel < 0.05) and (np.all(speed >= -0.05) or np.all(speed <= 0.05))) else "track"
    return ShotPath(xi, mode, subject, n_main)


def solve_path(shots: list[tuple[int, int]], faces: dict[int, list], saliency_centres: np.ndarray,
               source_width: int, crop_w: int, fps: float, opts=DEFAULTS,
               hints: dict[int, object] | None = None,
               persons: dict[int, object] | None = None, mouths: dict | None = None,
               turns: list | None = None, saliency_widths: np.ndarray | None = None,
               x_ranges: list | None = None, text_extents: list | None = None,
               subjects: list | None = None) -> tuple[np.ndarray, list[str]]:
    """Crop x per source frame and a mode per shot; each shot is solved on its own.

    For ``pad`` shots x is the active picture's left edge (the renderer shows that picture whole).
    ``x_ranges`` and ``text_extents``: per shot, the active picture's and the burned-in text's
    (x0, x1) in source px, or None (see ``solve_shot``).
    hints: shot index -> hint (see solve_shot). ``turns``, when a list, gets the
    speaker turns of each shot appended (empty for other modes); ``subjects``, when a list,
    what set each shot's framing ("faces", "person", "saliency", "hint", and for a pad shot
    also "text" or "bars").
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    total = shots[-1][1] if shots else 0
    x = np.zeros(total, np.int64)
    modes = []

    def one(k: int):
        s, e = shots[k]
        return solve_shot(s, e, faces, saliency_centres, source_width, crop_w, fps, opts, (hints or {}).get(k), persons,
                          mouths, saliency_widths, x_ranges[k] if x_ranges else None,
                          text_extents[k] if text_extents else None)

    # shots are independent and the solver's kernels release the GIL: one thread per core
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        paths = list(pool.map(one, range(len(shots))))
    for (s, e), p in zip(shots, paths):
        x[s:e] = p.x
        modes.append(p.mode)
        if turns is not None:
            turns.append(list(p.turns))
        if subjects is not None:
            subjects.append(p.subject)
    return x, modes
