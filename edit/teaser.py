"""The teaser: which source ranges make a 15-30 s trailer of the free episodes, in play order.

A moment is the run of frames leading into a strong shot cut (a cliffhanger, scored with
the features of ``edit.episodes.HOOK_WEIGHTS``) and ending on that cut, so the answer
after it is never shown. The teaser opens on the strongest moment (at most
``OPENER_MAX_S`` long: the hook lands in the first seconds), then 3-6 more, in source
order, and closes on the best open question. Moments start on a shot boundary where one
fits, else in a pause between lines; never inside a line, never in the first
``BOUNDARY_GUARD_S`` after an episode boundary or after another moment's hook (that is
where the hook pays off). Decisions only: the plan's data comes in, frame ranges go out.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction

BOUNDARY_GUARD_S = 10.0   # nothing from the first seconds after an episode boundary (the payoff)
OPENER_MAX_S = 4.0        # the opening moment ends on its hook within this many seconds
OPENER_MIN_S = 1.0
MOMENT_MIN_S = 2.0        # the other moments, s
MOMENT_MAX_S = 6.0
MIN_MOMENTS, MAX_MOMENTS = 4, 7   # the opener and 3-6 more
OPEN_ENDINGS = ("question", "ellipsis", "unfinished")  # features of a line left open, best first


@dataclass(frozen=True)
class Moment:
    start: int                    # first source frame
    end: int                      # frame after the last: the hook cut
    score: float                  # the cut's cliffhanger score
    features: tuple = ()          # its strongest features, strongest first
    on_shot: bool = True          # starts on a shot boundary (else in a pause between lines)

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass
class Teaser:
    moments: list[Moment]         # in play order
    notes: list[str] = field(default_factory=list)  # where the ideal could not be met, one line each

    @property
    def ranges(self) -> list[list[int]]:
        return [[m.start, m.end] for m in self.moments]


def _inside(frame: int, lines: list[tuple[int, int]]) -> bool:
    """True when ``frame`` cuts a line: a line is heard on both ``frame - 1`` and ``frame``."""
    return any(a < frame < b for a, b in lines)


def _start_for(cut: int, lo: int, shortest: int, longest: int, shot_starts: list[int],
               lines: list[tuple[int, int]]) -> tuple[int, bool] | None:
    """Where a moment ending at ``cut`` starts: the earliest shot boundary in
    [cut - longest, cut - shortest] (not before ``lo``) that cuts no line, else the earliest
    frame there that cuts no line. None when neither exists."""
    first, last = max(lo, cut - longest), cut - shortest
    if last < first:
        return None
    k = bisect.bisect_left(shot_starts, first)
    while k < len(shot_starts) and shot_starts[k] <= last:
        if not _inside(shot_starts[k], lines):
            return shot_starts[k], True
        k += 1
    # a pause between lines: a line's end (or start), or the window's first frame
    points = sorted({first} | {p for a, b in lines for p in (a, b) if first <= p <= last})
    for p in points:
        if not _inside(p, lines):
            return p, False
    return None


def _too_close(a: Moment, b: Moment, guard: int) -> bool:
    """True when ``a`` and ``b`` overlap, or one starts within ``guard`` frames after the
    other's hook cut (it would show that hook's payoff)."""
    return (a.start < b.end and b.start < a.end) or 0 <= a.start - b.end < guard or 0 <= b.start - a.end < guard


def choose_teaser(fps: Fraction, shot_starts: list[int], episodes: list[tuple[int, int]],
                  boundaries: list[int], hooks: list[tuple[int, float, tuple]],
                  lines: list[tuple[int, int]], min_s: float = 15.0, max_s: float = 30.0) -> Teaser:
    """The teaser's moments from ``episodes`` (source [start, end) frames of the chosen ones).

    ``shot_starts``: every shot's first frame; ``boundaries``: every episode's first frame
    (the film's, too); ``hooks``: (cut frame, score, features) of the scored cuts; ``lines``:
    spoken lines [start, end) in frames (cues and detected speech). The total lasts
    ``min_s``..``max_s`` seconds where the chosen episodes allow; otherwise the best there
    is, said in ``notes``.
    """
    sec = lambda s: int(round(Fraction(s) * fps))
    guard = sec(BOUNDARY_GUARD_S)
    shot_starts = sorted(set(shot_starts))
    notes: list[str] = []

    def region(cut: int, hooks_taken: list[int]) -> tuple[int, int] | None:
        """The allowed frames a moment ending at ``cut`` may use: [lo, cut], clear of the
        payoff after every episode boundary and every hook already taken before it."""
        for s, e in episodes:
            if s < cut <= e:
                lo = max([b + guard for b in list(boundaries) + hooks_taken if b < cut] + [s])
                return (lo, cut) if lo < cut else None
        return None

    def moment(cut, score, feats, shortest, longest, taken=()) -> Moment | None:
        r = region(cut, [m.end for m in taken])
        if r is None or _inside(cut, lines):
            return None
        found = _start_for(cut, r[0], sec(shortest), sec(longest), shot_starts, lines)
        if found is None:  # detected speech may run long: the subtitle lines alone are the rule then
            return None
        return Moment(found[0], cut, score, tuple(feats), found[1])

    ranked = sorted(hooks, key=lambda h: (-h[1], h[0]))
    opener = None
    for cut, score, feats in ranked:
        opener = moment(cut, score, feats, OPENER_MIN_S, OPENER_MAX_S)
        if opener is not None:
            break
    if opener is None:
        return Teaser([], ["no scored cut in the chosen episodes leaves room for a moment"])
    chosen = [opener]
    total = opener.frames
    for cut, score, feats in ranked:
        if len(chosen) >= MAX_MOMENTS or (len(chosen) >= MIN_MOMENTS and total >= sec(min_s)):
            break
        m = moment(cut, score, feats, MOMENT_MIN_S, MOMENT_MAX_S, chosen)
        if m is None or any(_too_close(m, c, guard) for c in chosen):
            continue
        if total + m.frames > sec(max_s):
            continue
        chosen.append(m)
        total += m.frames
    rest = chosen[1:]
    closer = None
    for kind in OPEN_ENDINGS:  # close on a line left open, the strongest such
        with_kind = [m for m in rest if kind in m.features]
        if with_kind:
            closer = max(with_kind, key=lambda m: (m.score, -m.end))
            break
    if closer is None and rest:
        closer = max(rest, key=lambda m: (m.score, -m.end))
        notes.append("no moment ends on an open line (a question, ellipsis or unfinished line): "
                     "the teaser closes on the strongest remaining hook")
    middle = sorted((m for m in rest if m is not closer), key=lambda m: m.start)
    moments = [opener] + middle + ([closer] if closer else [])
    if total < sec(min_s):
        notes.append(f"the chosen episodes give {float(total / fps):.1f} s of moments, under {min_s:g} s")
    if len(moments) < MIN_MOMENTS:
        notes.append(f"{len(moments)} moments, fewer than {MIN_MOMENTS}: not enough scored cuts with room")
    off = sum(1 for m in moments if not m.on_shot)
    if off:
        notes.append(f"{off} moment(s) start in a pause between lines, not on a shot boundary")
    return Teaser(moments, notes)
