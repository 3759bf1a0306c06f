"""Episode planning: boundaries on shot cuts, lengths in [min, max], outside lines of
dialogue and detected speech wherever the cuts allow, each boundary scored as a cliffhanger.

Dynamic programs over the candidate cuts first maximise the weakest hook
(every episode must end on one), then the summed hook score at that floor.
Same input, same plan.
"""
from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numba
import numpy as np

from verticalize.errors import OptionsError


# Cliffhanger features and their weights. A candidate boundary's score is the
# weighted sum of its features, each in 0..1. Calibrated on bench/cliffhangers.py
# (real speech over music and noise beds, planted hooks) and the samples' planted hooks.
HOOK_WEIGHTS: dict[str, float] = {
    # dialogue
    "question": 1.0,        # the last line before the cut ends with "?" (1 up to 1.5 s before it, 0.3 from 4 s)
    "ellipsis": 0.8,        # ... ends with "…" or "..." (a line left hanging)
    "exclamation": 0.7,     # ... ends with "!"
    "unfinished": 0.4,      # ... ends with no closing punctuation
    "line_just_ended": 0.4, # that line ended less than 2 s before the cut
    "reply_follows": 0.3,   # a line starts within 3 s after the cut
    # audio (K-weighted loudness)
    "sting": 1.0,           # a loud peak in the last second, 3-12 dB above what came before (and the dialogue's peaks)
    "silence_after": 0.6,   # the first 0.7 s after the cut is 15-30 dB under the last second and 5-15 dB under the film
    "loudness_rise": 0.5,   # the sound besides dialogue climbs 0.5-2.5 dB every second for 4 s into the cut (a swell)
    # picture
    "close_up": 0.5,        # a face fills much of the frame just before the cut
    "motion_spike": 0.3,    # motion in the last second well above the shot's median
    "quickening": 0.4,      # the shots before the cut are shorter than the film's median
    "cut_strength": 0.2,    # content change at the cut, 0..1
}

log = logging.getLogger(__name__)

_CLOSERS = "\"'”’»」』）)]】"


@dataclass(frozen=True)
class Episode:
    index: int            # 1-based
    start: int            # first frame
    end: int              # frame after the last (exclusive)
    score: float          # cliffhanger score of the boundary that ends it (0 for the last)
    reasons: list = field(default_factory=list)  # [{"feature": name, "value": v}, ...] strongest first


@dataclass(frozen=True)
class Line:
    """A spoken line in frames: a subtitle cue, or a span of detected speech (``text`` "").

    Not ``subtitles.Line``, which is a cue of a subtitle file in milliseconds.
    """

    start: int   # first frame on which it shows (or is heard)
    end: int     # frame after the last one
    text: str


@dataclass
class Signals:
    """Per-frame evidence the analysis pass collected. Arrays may be None when absent."""

    fps: Fraction
    frame_count: int
    cuts: list[int]
    cues: list[Line] = field(default_factory=list)
    cut_scores: dict[int, float] = field(default_factory=dict)
    loudness: np.ndarray | None = None    # momentary (400 ms) LUFS per frame
    loudness_fast: np.ndarray | None = None  # 100 ms LUFS per frame
    speech: np.ndarray | None = None      # bool per frame
    motion: np.ndarray | None = None      # mean |d luma| per frame, 0..255
    face_share: np.ndarray | None = None  # largest face width / frame width per frame, 0..1
    _cue_index: tuple | None = field(default=None, repr=False)
    _raw: dict | None = field(default=None, repr=False)


def inside_cue(frame: int, cues: list[Line]) -> bool:
    """True when a cue is on screen on both ``frame - 1`` and ``frame``."""
    return any(c.start < frame < c.end for c in cues)


def _covered_by_cues(cues: list[Line], frame_count: int) -> np.ndarray:
    """covered[f]: a cue is on screen on both f - 1 and f (so a boundary at f would cut it)."""
    diff = np.zeros(frame_count + 2, np.int32)
    for c in cues:
        a, b = max(c.start + 1, 0), min(c.end, frame_count + 1)  # frames f with c.start < f < c.end
        if a < b:
            diff[a] += 1
            diff[b] -= 1
    return np.cumsum(diff)[: frame_count + 1] > 0


def inside_speech(frame: int, speech: np.ndarray | None, fps: Fraction | float = 30) -> bool:
    """True when detected speech runs through ``frame``: on ``frame - 1`` and for 0.2 s from ``frame`` on.

    Speech that dies out within 0.2 s after the cut is the tail of a sound
    (or the codec's smear of it), not a line being cut.
    """
    if speech is None or not 0 < frame < len(speech):
        return False
    after = max(1, int(round(0.2 * float(fps))))
    return bool(speech[frame - 1] and np.all(speech[frame:frame + after]))


def _ending_kind(text: str) -> str:
    t = text.strip().rstrip(_CLOSERS).rstrip()
    if not t:
        return ""
    if t.endswith(("?", "？", "؟")):
        return "question"
    if t.endswith(("…", "...", "⋯")):
        return "ellipsis"
    if t.endswith(("!", "！")):
        return "exclamation"
    if t.endswith((".", "。", "．", "।", "۔")):
        return ""
    return "unfinished"


@numba.njit(cache=True, nogil=True)
def _raw_features_kernel(cuts, shot_starts, loud, fast, talk_fast, talk_loud, talk_peak, motion, face, sec, skip,
                         after_n):
    """Per cut, NaN where the signal or the room is missing:

    0 rise: mean momentary loudness of the last second's frames without dialogue
      (``talk_loud`` 0) over the mean of the three seconds before, dB
    1 sting: the last second's 100 ms loudness over the 75th percentile of the three
      seconds before, at its largest, dB; where there is dialogue (``talk_fast`` 1) over
      the dialogue's usual peaks (``talk_peak``, LUFS) too, so a line is no sting
    2 drop: loudest 100 ms of the last second over the mean just after the cut, dB
    3 face share in the last second, 4 motion excess over the shot's median
    5 steady rise: the smallest step up from second to second over the last four
      (mean momentary loudness without dialogue; seconds that are all dialogue are
      skipped), dB a second: a swell climbs every second, music that came in two
      seconds ago does not
    6 the mean 100 ms loudness just after the cut, LUFS
    """
    m = cuts.shape[0]
    out = np.full((m, 7), np.nan)
    n = loud.shape[0]
    has_talk = talk_fast.shape[0] == n
    for k in range(m):
        c = cuts[k]
        if c < 4 * sec:
            continue
        if n:
            p75 = np.percentile(fast[c - 4 * sec:c - sec], 75.0)
            best = -np.inf
            for f in range(c - sec, c):
                ref = max(p75, talk_peak) if has_talk and talk_fast[f] else p75
                best = max(best, fast[f] - ref)
            means = np.full(4, np.nan)   # mean loudness without dialogue, second by second back from the cut
            for j in range(4):
                tot, cnt = 0.0, 0
                for f in range(c - (j + 1) * sec, c - j * sec):
                    if not has_talk or not talk_loud[f]:
                        tot += loud[f]
                        cnt += 1
                if cnt:
                    means[j] = tot / cnt
            out[k, 0] = -99.0
            out[k, 5] = -99.0
            if not np.isnan(means[0]):
                out[k, 0] = means[0] - np.mean(loud[c - 4 * sec:c - sec])
                prev, steady, steps = 0, np.inf, 0
                for j in range(1, 4):
                    if not np.isnan(means[j]):
                        steady = min(steady, (means[prev] - means[j]) / (j - prev))
                        prev = j
                        steps += 1
                if steps:
                    out[k, 5] = steady
            out[k, 1] = best
            a, b = c + skip, min(n, c + skip + after_n)
            if b > a:
                after = np.mean(fast[a:b])
                out[k, 2] = np.max(fast[c - sec:c]) - after
                out[k, 6] = after
        if face.shape[0]:
            out[k, 3] = np.max(face[c - sec:c])
        if motion.shape[0]:
            s0 = shot_starts[k]
            base = np.median(motion[s0 + 1:c]) if c - s0 > 2 else 0.0
            out[k, 4] = np.max(motion[c - sec:c]) - base
    return out


def _held(mask: np.ndarray, frames: int) -> np.ndarray:
    """``mask`` held on for ``frames`` more frames after each run (a window's or a detector's lag)."""
    out = mask.copy()
    for d in range(1, frames + 1):
        out[d:] |= mask[:-d]
    return out


def _raw_features(sig: "Signals") -> dict:
    """Audio and picture measurements at every cut (``_raw_features_kernel``), computed once per Signals.

    Dialogue is no sting and no swell: the rise leaves out the 400 ms loudness for
    0.5 s after detected speech, and a sting during speech (and 0.2 s after it) must
    also top the dialogue's usual peaks (90th percentile of its 100 ms loudness).
    Column 6 becomes the loudness just after the cut under the film's median
    momentary loudness (frames above -70 LUFS), dB.
    """
    if sig._raw is None:
        cuts = np.array(sorted(c for c in set(sig.cuts) if 0 < c < sig.frame_count), np.int64)
        starts = np.concatenate([[0], cuts[:-1]]) if len(cuts) else np.zeros(0, np.int64)
        f32 = lambda a: np.zeros(0, np.float64) if a is None else np.asarray(a, np.float64)
        fps = float(sig.fps)
        loud, fast = (f32(sig.loudness), f32(sig.loudness_fast)) if sig.loudness_fast is not None \
            else (np.zeros(0), np.zeros(0))
        talk = np.zeros(0, bool) if sig.speech is None or len(sig.speech) != len(loud) \
            else np.asarray(sig.speech, bool)
        hold = lambda s: _held(talk, int(round(s * fps))) if len(talk) else talk
        peak = float(np.percentile(fast[talk], 90)) if talk.any() else -np.inf
        raw = _raw_features_kernel(cuts, starts.astype(np.int64), loud, fast, hold(0.2), hold(0.5), peak,
                                   f32(sig.motion), f32(sig.face_share),
                                   int(round(fps)), int(round(0.1 * fps)) + 1, int(0.7 * fps))
        heard = loud[loud > -70.0]
        raw[:, 6] = (float(np.median(heard)) if len(heard) else np.nan) - raw[:, 6]
        sig._raw = {int(c): tuple(float(v) for v in row) for c, row in zip(cuts, raw)}
    return sig._raw


def _cue_index(sig: "Signals"):
    """Cues sorted by end, their ends, and the sorted starts (cached on the Signals)."""
    if sig._cue_index is None:
        by_end = sorted(sig.cues, key=lambda c: (c.end, c.start))
        sig._cue_index = (by_end, [c.end for c in by_end], sorted(c.start for c in sig.cues))
    return sig._cue_index


def _ramp(value: float, zero: float, one: float) -> float:
    """0 at ``zero``, 1 at ``one``, linear and clipped between."""
    return float(min(1.0, max(0.0, (value - zero) / (one - zero))))


def hook_features(cut: int, sig: Signals, shot_lengths_before: list[int], median_shot: float) -> dict[str, float]:
    """Cliffhanger features of a boundary at ``cut``, each in 0..1."""
    fps = sig.fps
    feats: dict[str, float] = {}
    by_end, ends, starts = _cue_index(sig)
    k = bisect.bisect_right(ends, cut)  # cues that ended by the cut
    last = by_end[k - 1] if k else None
    if last is not None and (cut - last.end) <= 5 * fps:
        kind = _ending_kind(last.text)
        gap_s = (cut - last.end) / fps
        if kind:  # a line left hanging right at the cut; one the film has moved on from counts less
            feats[kind] = 1.0 - 0.7 * _ramp(float(gap_s), 1.5, 4.0)
        if gap_s < 2:
            feats["line_just_ended"] = float(1 - gap_s / 2)
    k = bisect.bisect_left(starts, cut)  # the first cue starting at or after the cut
    if k < len(starts) and starts[k] - cut <= 3 * fps:
        feats["reply_follows"] = float(1 - (starts[k] - cut) / (3 * fps))
    raw = _raw_features(sig).get(cut)
    if raw is not None:
        rise, sting, drop, close, motion, steady, under = raw
        if not math.isnan(steady):  # a swell climbing into the cut, not a step seconds before it
            feats["loudness_rise"] = _ramp(steady, 0.5, 2.5)
        if not math.isnan(sting):
            feats["sting"] = _ramp(sting, 3.0, 12.0)
        if not math.isnan(drop) and not math.isnan(under):  # quiet against the moment and the film
            feats["silence_after"] = _ramp(drop, 15.0, 30.0) * _ramp(under, 5.0, 15.0)
        if not math.isnan(close):
            feats["close_up"] = _ramp(close, 0.10, 0.30)
        if not math.isnan(motion):
            feats["motion_spike"] = _ramp(motion, 2.0, 12.0)
    feats["cut_strength"] = float(min(1.0, max(0.0, sig.cut_scores.get(cut, 0.0))))
    if shot_lengths_before and median_shot > 0:
        mean = sum(shot_lengths_before) / len(shot_lengths_before)
        feats["quickening"] = float(min(1.0, max(0.0, 1 - mean / median_shot)))
    return {k: v for k, v in feats.items() if v > 0}


def cut_hooks(sig: Signals) -> dict[int, dict[str, float]]:
    """The cliffhanger features (``hook_features``) of every shot cut of ``sig``, by cut frame."""
    bounds = [0] + sorted(c for c in set(sig.cuts) if 0 < c < sig.frame_count) + [sig.frame_count]
    lengths = np.diff(bounds)
    median_shot = float(np.median(lengths)) if len(lengths) else 0.0
    return {c: hook_features(c, sig, list(lengths[max(0, k - 3):k]), median_shot)
            for k, c in enumerate(bounds[1:-1], start=1)}


def hook_score(feats: dict[str, float]) -> float:
    """A moment's cliffhanger score: its features weighted by ``HOOK_WEIGHTS``."""
    return _score(feats)


def _score(feats: dict[str, float]) -> float:
    return float(sum(HOOK_WEIGHTS.get(k, 0.0) * v for k, v in feats.items()))


def _reasons(feats: dict[str, float], extra: list | None = None) -> list:
    ranked = sorted(((k, v) for k, v in feats.items() if v > 0),
                    key=lambda kv: (-HOOK_WEIGHTS.get(kv[0], 0) * kv[1], kv[0]))
    return (extra or []) + [{"feature": k, "value": round(v, 3)} for k, v in ranked[:4]]


def plan_episodes(frame_count: int, fps: Fraction, cuts: list[int], cut_scores: dict[int, float],
                  cues: list[Line], min_s: float, max_s: float, split: bool = True,
                  signals: Signals | None = None, first_min_s: float = 0.0, strict: bool = False) -> list[Episode]:
    """Choose episode boundaries.

    Every boundary is a clean shot cut when possible: one that no cue and no
    detected speech spans. Every episode lasts between ``min_s`` (``first_min_s``
    for the first, when larger) and ``max_s`` seconds, except the last, which
    may be shorter. When clean cuts cannot make such a plan, the planner takes
    the best there is where it must, in this order: a shot cut inside a cue but
    in the longest pause between speech, a shot cut between two cues (speech
    runs through it), the quietest shot cut, the quietest frame off the cuts;
    each such boundary is named in its episode's ``reasons`` (``boundary_in_cue``,
    ``boundary_in_speech``, ``boundary_off_cut``) and in one warning line. With
    ``strict``, OptionsError says where no clean plan fits instead.
    """
    if min_s <= 0 or max_s <= 0:
        raise OptionsError(f"episode lengths must be positive (got min {min_s} s, max {max_s} s)")
    if min_s > max_s:
        raise OptionsError(f"episode_min_s ({min_s} s) is longer than episode_max_s ({max_s} s)")
    if first_min_s > max_s:
        raise OptionsError(f"the first episode's minimum ({first_min_s} s) is longer than episode_max_s ({max_s} s)")
    if not split or frame_count / fps <= max_s:
        return [Episode(1, 0, frame_count, 0.0, [])]
    sig = signals or Signals(fps, frame_count, list(cuts), list(cues), dict(cut_scores))
    to_frames = lambda s, up: int(math.ceil(Fraction(s) * fps - Fraction(1, 10**6)) if up
                                  else math.floor(Fraction(s) * fps + Fraction(1, 10**6)))
    min_f, max_f = to_frames(min_s, True), to_frames(max_s, False)
    first_min_f = max(min_f, to_frames(first_min_s, True))
    if max_f < 1:
        raise OptionsError(f"episode_max_s {max_s} s is shorter than one frame")

    bounds = [0] + sorted(c for c in set(cuts) if 0 < c < frame_count) + [frame_count]
    feats_at = cut_hooks(sig)
    covered = _covered_by_cues(cues, frame_count)
    clean = [(c, _score(feats_at[c]), _reasons(feats_at[c])) for c in bounds[1:-1]
             if not covered[c] and not inside_speech(c, sig.speech, fps)]
    episodes = _solve(frame_count, clean, min_f, max_f, first_min_f)
    if episodes is not None:
        return episodes
    if strict:
        where = _first_dead_end(frame_count, [c for c, _, _ in clean], min_f, max_f, first_min_f, fps)
        raise OptionsError(f"cannot split into {min_s:g}-{max_s:g} s episodes: {where}; widen the limits, "
                           "use --no-episodes, or leave out --strict-boundaries to take the best boundaries there are")
    episodes = _solve(frame_count, sorted(clean + _fallback_candidates(sig, bounds[1:-1], feats_at, covered, min_f, max_f),
                                         key=lambda c: c[0]), min_f, max_f, first_min_f)
    if episodes is None:  # cannot happen: there is a candidate on every frame the grid allows
        raise OptionsError(f"cannot split into {min_s:g}-{max_s:g} s episodes")
    for e in episodes[:-1]:
        kinds = [r["feature"] for r in e.reasons if r["feature"] in _FALLBACK_KINDS]
        if kinds:
            log.warning("episode %d ends at %.1f s (frame %d) on %s: no clean shot cut (outside cues and speech) "
                        "fits %g-%g s episodes there", e.index, float(e.end / fps), e.end,
                        " and ".join(_FALLBACK_KINDS[k] for k in kinds), min_s, max_s)
    return episodes


_FALLBACK_KINDS = {"boundary_in_cue": "a cut inside a subtitle cue", "boundary_in_speech": "a cut inside speech",
                   "boundary_off_cut": "a frame off the shot cuts"}


def _fallback_candidates(sig: Signals, cut_frames: list[int], feats_at: dict, covered: np.ndarray,
                         min_f: int, max_f: int) -> list[tuple[int, float, list]]:
    """Every boundary that is not clean, scored so the planner takes the least bad.

    Tiers at least 10 points apart (a hook scores at most about 5): a cut inside a cue
    but not inside speech, better the longer the pause around it (up to 5 s);
    a cut inside speech but between cues; a cut inside both; then frames off
    the cuts (one a second, or every frame when the length window is narrower).
    Within the last three, quieter is better (100 ms loudness around the frame).
    """
    fps, n = sig.fps, sig.frame_count
    fast = None if sig.loudness_fast is None else np.asarray(sig.loudness_fast, np.float64)
    speech = None if sig.speech is None else np.asarray(sig.speech, bool)

    def quiet_penalty(f: int) -> float:  # 0 (silent, -70 LUFS) .. 5 (0 LUFS)
        if fast is None or not len(fast):
            return 0.0
        w = fast[max(0, f - 3):min(len(fast), f + 3)]
        return 0.0 if not len(w) else 5.0 * min(1.0, max(0.0, (float(np.mean(w)) + 70.0) / 70.0))

    def pause_s(f: int) -> float:  # the run of non-speech frames around f, s
        if speech is None or not 0 < f < len(speech):
            return 5.0
        a = f
        while a > 0 and not speech[a - 1] and f - a < 5 * fps:
            a -= 1
        b = f
        while b < len(speech) and not speech[b] and b - f < 5 * fps:
            b += 1
        return float((b - a) / fps)

    out = []
    for c in cut_frames:
        in_cue, in_speech = bool(covered[c]), inside_speech(c, speech, fps)
        if not in_cue and not in_speech:
            continue
        if not in_speech:
            p = pause_s(c)
            extra = [{"feature": "boundary_in_cue", "value": 1}, {"feature": "pause_s", "value": round(min(p, 5.0), 2)}]
            penalty = 20.0 - min(p, 5.0)
        else:
            extra = [{"feature": "boundary_in_speech", "value": 1}] + \
                    ([{"feature": "boundary_in_cue", "value": 1}] if in_cue else [])
            penalty = (45.0 if in_cue else 30.0) + quiet_penalty(c)
        out.append((c, _score(feats_at[c]) - penalty, _reasons(feats_at[c], extra)))
    taken = set(cut_frames)
    step = max(1, min(int(round(fps)), max_f - min_f))
    for f in range(step, n, step):
        if f not in taken:
            out.append((f, -60.0 - (5.0 if covered[f] else 0.0) - (5.0 if inside_speech(f, speech, fps) else 0.0)
                        - quiet_penalty(f),
                        [{"feature": "boundary_off_cut", "value": 1}]
                        + ([{"feature": "boundary_in_speech", "value": 1}] if inside_speech(f, speech, fps) else [])
                        + ([{"feature": "boundary_in_cue", "value": 1}] if covered[f] else [])))
    return out


def _first_dead_end(frame_count: int, cands: list[int], min_f: int, max_f: int, first_min_f: int,
                    fps: Fraction) -> str:
    """Where planning gets stuck: the earliest reachable boundary with no valid next one."""
    reach = {0}
    pos = [0] + cands
    for j in range(1, len(pos)):
        if any(pos[j] - i <= max_f and pos[j] - i >= (first_min_f if i == 0 else min_f) for i in reach):
            reach.add(pos[j])
    stuck = max(r for r in reach if r < frame_count)
    t = lambda f: f"{float(f / fps):.1f} s"
    return (f"no shot cut free of dialogue and speech between {t(stuck + (first_min_f if stuck == 0 else min_f))} "
            f"and {t(min(frame_count, stuck + max_f))}")


def _solve(frame_count: int, cands: list[tuple[int, float, list]], min_f: int, max_f: int,
           first_min_f: int | None = None):
    """Choose boundaries among ``cands`` (frame, score, reasons); None when no plan fits the limits.

    Every episode ends on a hook, so the weakest hook matters most: first find
    the largest achievable minimum boundary score, then, among the plans that
    reach it, the one with the largest total score (ties: the earlier cuts).
    Both passes are exact dynamic programs.
    """
    first_min_f = min_f if first_min_f is None else first_min_f
    floor = _best_bottleneck(frame_count, [(c, s) for c, s, _ in cands], min_f, max_f, first_min_f)
    if floor is None:
        return None
    kept = [c for c in cands if c[1] >= floor - 1e-9]
    return _max_sum(frame_count, kept, min_f, max_f, first_min_f)


def _transitions(pos: list[int], min_f: int, max_f: int, first_min_f: int):
    """(i, j) pairs where an episode can run from boundary i to boundary j."""
    n = len(pos)
    lo = 0
    for j in range(1, n):
        while lo < j and pos[j] - pos[lo] > max_f:
            lo += 1
        for i in range(lo, j):
            d = pos[j] - pos[i]
            if d < (first_min_f if i == 0 else min_f):
                if i == 0:
                    continue
                break
            yield i, j


def _best_bottleneck(frame_count: int, cands: list[tuple[int, float]], min_f: int, max_f: int,
                     first_min_f: int) -> float | None:
    pos = [0] + [c for c, _ in cands]
    score = [math.inf] + [s for _, s in cands]
    best = [-math.inf] * len(pos)
    best[0] = math.inf
    for i, j in _transitions(pos, min_f, max_f, first_min_f):
        if best[i] > -math.inf:
            best[j] = max(best[j], min(best[i], score[j]))
    ends = [best[i] for i in range(len(pos)) if best[i] > -math.inf and 0 < frame_count - pos[i] <= max_f]
    return max(ends) if ends else None


def _max_sum(frame_count: int, cands: list[tuple[int, float, list]], min_f: int, max_f: int, first_min_f: int):
    pos = [0] + [c for c, _, _ in cands]
    score = [0.0] + [s for _, s, _ in cands]
    n = len(pos)
    best = [-math.inf] * n
    back = [-1] * n
    best[0] = 0.0
    for i, j in _transitions(pos, min_f, max_f, first_min_f):
        if best[i] > -math.inf and best[i] + score[j] > best[j]:
            best[j] = best[i] + score[j]
            back[j] = i
    end_best, end_i = -math.inf, -1
    for i in range(n):
        d = frame_count - pos[i]
        if best[i] == -math.inf or d > max_f or d <= 0:
            continue
        if best[i] > end_best:
            end_best, end_i = best[i], i
    if end_i < 0:
        return None
    chain = []
    i = end_i
    while i > 0:
        chain.append(i)
        i = back[i]
    chain.reverse()
    starts = [0] + [pos[i] for i in chain]
    ends = [pos[i] for i in chain] + [frame_count]
    eps = []
    for k, (s, e) in enumerate(zip(starts, ends)):
        if k < len(chain):
            c = chain[k]
            eps.append(Episode(k + 1, s, e, round(score[c], 4), cands[c - 1][2]))
        else:
            eps.append(Episode(k + 1, s, e, 0.0, []))
    return eps


def clear_of_dissolves(episodes: list[dict], transitions: list, is_dissolve, cues: list[Line],
                       min_frames: int) -> None:
    """Move episode boundaries that sit mid-dissolve to the dissolve's clean edges, in place.

    A dissolve's cut is its midpoint, a half-and-half mix of two shots: an
    episode ending there ends on a blend. Instead the episode ends on the last
    clean frame of the old shot (the dissolve's ``start``) and the next begins
    on the first clean frame of the new one (its ``end``); the mixed frames are
    left out. Fades through black or white (``is_dissolve(start, end)`` False)
    keep their midpoint, which is the dark or light hold itself. A boundary
    stays put when a cue shows inside the dissolve or when an episode other
    than the last would drop under ``min_frames``.
    """
    spans = {(s + e) // 2: (s, e) for s, e in transitions}
    for prev, nxt in zip(episodes, episodes[1:]):
        b = prev["end"]
        if nxt["start"] != b or b not in spans:
            continue
        s, e = spans[b]
        if not (prev["start"] < s < b < e < nxt["end"]) or not is_dissolve(s, e):
            continue
        if any(c.start < e and c.end > s for c in cues):
            continue
        last = nxt is episodes[-1]
        if s - prev["start"] < min_frames or (not last and nxt["end"] - e < min_frames):
            continue
        prev["end"], nxt["start"] = s, e
        prev.setdefault("reasons", []).append({"feature": "dissolve_left_out", "value": e - s})


def add_recaps(episodes: list[dict], fps: Fraction, recap_s: float) -> None:
    """Give every episode after the first a ``recap``: the last ``recap_s`` seconds of the one before."""
    if recap_s < 0:
        raise OptionsError(f"recap_s {recap_s:g} s must not be negative")
    frames = int(round(Fraction(recap_s) * fps))
    for prev, ep in zip(episodes, episodes[1:]):
        if frames > 0:
            ep["recap"] = {"start": max(prev["start"], prev["end"] - frames), "end": prev["end"]}
        else:
            ep.pop("recap", None)
