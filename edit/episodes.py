"""Episode planning: boundaries on shot cuts, lengths in [min, max], never inside a cue.

A dynamic program over candidate cuts maximises the summed cliffhanger score of
the chosen boundaries. Same input, same plan.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from edit.defaults import HOOK_WEIGHTS
from verticalize.errors import OptionsError

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
class Cue:
    start: int   # first frame on which the cue shows
    end: int     # frame after the last one on which it shows
    text: str


def inside_cue(frame: int, cues: list[Cue]) -> bool:
    """True when a cue is on screen on both ``frame - 1`` and ``frame``."""
    return any(c.start < frame < c.end for c in cues)


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


def hook_features(cut: int, fps: Fraction, cues: list[Cue], cut_strength: float,
                  shot_lengths_before: list[int], median_shot: float) -> dict[str, float]:
    """Cliffhanger features of a boundary at ``cut``, each in 0..1."""
    feats: dict[str, float] = {}
    before = [c for c in cues if c.end <= cut]
    if before:
        last = max(before, key=lambda c: c.end)
        kind = _ending_kind(last.text)
        if kind:
            feats[kind] = 1.0
        gap_s = (cut - last.end) / fps
        if gap_s < 2:
            feats["line_just_ended"] = float(1 - gap_s / 2)
    feats["cut_strength"] = float(min(1.0, max(0.0, cut_strength)))
    if shot_lengths_before and median_shot > 0:
        mean = sum(shot_lengths_before) / len(shot_lengths_before)
        feats["quickening"] = float(min(1.0, max(0.0, 1 - mean / median_shot)))
    return feats


def _score(feats: dict[str, float]) -> float:
    return float(sum(HOOK_WEIGHTS.get(k, 0.0) * v for k, v in feats.items()))


def _reasons(feats: dict[str, float], extra: list | None = None) -> list:
    ranked = sorted(((k, v) for k, v in feats.items() if v > 0),
                    key=lambda kv: (-HOOK_WEIGHTS.get(kv[0], 0) * kv[1], kv[0]))
    return (extra or []) + [{"feature": k, "value": round(v, 3)} for k, v in ranked[:4]]


def plan_episodes(frame_count: int, fps: Fraction, cuts: list[int], cut_scores: dict[int, float],
                  cues: list[Cue], min_s: float, max_s: float, split: bool = True) -> list[Episode]:
    """Choose episode boundaries.

    Every boundary is a shot cut that no cue spans; every episode lasts
    between ``min_s`` and ``max_s`` seconds except the last, which may be
    shorter. When the cuts make that impossible, cuts inside cues are allowed
    next, and then forced boundaries between cues; each is named in
    ``reasons`` and logged as a warning.
    """
    if min_s <= 0 or max_s <= 0:
        raise OptionsError(f"episode lengths must be positive (got min {min_s} s, max {max_s} s)")
    if min_s > max_s:
        raise OptionsError(f"--episode-min ({min_s} s) is longer than --episode-max ({max_s} s)")
    if not split or frame_count / fps <= max_s:
        return [Episode(1, 0, frame_count, 0.0, [])]
    min_f = int(math.ceil(Fraction(min_s) * fps - Fraction(1, 10**6)))
    max_f = int(math.floor(Fraction(max_s) * fps + Fraction(1, 10**6)))
    if max_f < 1:
        raise OptionsError(f"--episode-max {max_s} s is shorter than one frame")

    bounds = [0] + sorted(c for c in set(cuts) if 0 < c < frame_count) + [frame_count]
    lengths = np.diff(bounds)
    median_shot = float(np.median(lengths)) if len(lengths) else 0.0

    def candidates_at(level: int) -> list[tuple[int, float, list]]:
        out = []
        for k, c in enumerate(bounds[1:-1], start=1):
            in_cue = inside_cue(c, cues)
            if in_cue and level == 0:
                continue
            feats = hook_features(c, fps, cues, cut_scores.get(c, 0.0), list(lengths[max(0, k - 3):k]), median_shot)
            extra = [{"feature": "inside_cue", "value": 1}] if in_cue else []
            out.append((c, _score(feats) - (5.0 if in_cue else 0.0), _reasons(feats, extra)))
        if level >= 2:  # forced boundaries, one per second, between cues
            step = max(1, int(round(fps)))
            taken = {c for c, _, _ in out}
            for f in range(step, frame_count, step):
                if f not in taken and not inside_cue(f, cues):
                    out.append((f, -20.0, [{"feature": "forced_no_cut", "value": 1}]))
            out.sort()
        return out

    for level in range(3):
        cands = candidates_at(level)
        episodes = _solve(frame_count, cands, min_f, max_f)
        if episodes is not None:
            if level:
                log.warning("episode plan needed %s: no cue-free shot cut fits [%s s, %s s]",
                            "cuts inside cues" if level == 1 else "forced boundaries between cues", min_s, max_s)
            return episodes
    raise OptionsError(f"cannot split {frame_count} frames into episodes of {min_s}-{max_s} s")


def _solve(frame_count: int, cands: list[tuple[int, float, list]], min_f: int, max_f: int):
    """DP over candidate boundaries; None when no plan satisfies the length limits."""
    pos = [0] + [c for c, _, _ in cands]
    score = [0.0] + [s for _, s, _ in cands]
    n = len(pos)
    best = [-math.inf] * n
    back = [-1] * n
    best[0] = 0.0
    lo = 0
    for j in range(1, n):
        for i in range(lo, j):
            d = pos[j] - pos[i]
            if d > max_f:
                lo = i + 1
                continue
            if d < min_f:
                break
            if best[i] > -math.inf and best[i] + score[j] > best[j]:
                best[j] = best[i] + score[j]
                back[j] = i
    end_best, end_i = -math.inf, -1
    for i in range(n):
        d = frame_count - pos[i]
        if best[i] == -math.inf or d > max_f or d <= 0:
            continue
        total = best[i] - (0.5 if d < min_f else 0.0)
        if total > end_best:
            end_best, end_i = total, i
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
