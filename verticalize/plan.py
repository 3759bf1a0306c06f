"""The plan file: every decision of the analysis, versioned JSON, read by the renderer.

``write_plan`` and ``read_plan`` come in a pair; ``validate_plan`` checks every
structural rule so a hand-edited plan fails with one clear line.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from verticalize.errors import PlanError
from verticalize.files import write_json

SCHEMA = "verticalize.plan/1"


@dataclass
class Plan:
    source: dict[str, Any]        # path, width, height, fps "num/den", frame_count, has_audio
    target: dict[str, int]        # width, height
    shots: list[dict[str, Any]]   # {start, end, mode, subject (what set the framing; optional)}, end exclusive
    crop: dict[str, list[int]]    # x, y, w, h: one int per source frame
    episodes: list[dict[str, Any]]  # {index, start, end, score, reasons}
    subtitles: dict[str, str] = field(default_factory=dict)  # lang -> path
    analysis: dict[str, Any] = field(default_factory=dict)   # options and timings, informative
    extras: dict[str, Any] = field(default_factory=dict)     # recap_s, free_episodes, title_card
    transitions: list[list[int]] = field(default_factory=list)  # fades and dissolves, [start, end) frames
    dubs: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> {path, offset_s "num/den"}: dubbed audio

    @property
    def languages(self) -> list[str]:
        """Every language an episode is rendered in: subtitled ones, then dubbed ones without subtitles."""
        return list(self.subtitles) + [lang for lang in self.dubs if lang not in self.subtitles]

    @property
    def fps(self) -> Fraction:
        return Fraction(self.source["fps"])

    @property
    def vfr(self) -> bool:
        return bool(self.source.get("vfr"))

    def frame_times(self) -> list[Fraction] | None:
        """Start time of frames 0..frame_count (s, exact; the last entry is the end of the
        last frame) for variable-frame-rate sources; None for constant rate (k / fps)."""
        if not self.vfr:
            return None
        return times_from_pts(self.source["frame_pts"], Fraction(str(self.source["time_base"])), self.fps)

    def time_of(self, frame: int, times: list[Fraction] | None = None) -> Fraction:
        """Start time of source ``frame`` (0..frame_count) in seconds, exact."""
        times = times if times is not None else self.frame_times()
        return times[frame] if times is not None else frame / self.fps

    @property
    def cuts(self) -> list[int]:
        return [s["start"] for s in self.shots[1:]]

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "source": self.source, "target": self.target, "shots": self.shots,
                "crop": self.crop, "episodes": self.episodes, "subtitles": self.subtitles,
                "transitions": self.transitions, "extras": self.extras, "analysis": self.analysis,
                **({"dubs": self.dubs} if self.dubs else {})}  # plans without dubs stay as they were


def times_from_pts(pts: list[int], time_base: Fraction, fps: Fraction) -> list[Fraction]:
    """Frame start times (s) from timestamps, plus the end of the last frame (its predecessor's
    duration, or one frame at ``fps``)."""
    times = [p * time_base for p in pts]
    last = times[-1] - times[-2] if len(times) > 1 else 1 / fps
    return times + [times[-1] + last]


def crop_size_for(source_width: int, source_height: int, width: int, height: int) -> tuple[int, int]:
    """Largest even-sized source window with the target's aspect ratio, full height where possible."""
    h = source_height // 2 * 2
    w = int(round(h * width / height / 2)) * 2
    if w > source_width:
        w = source_width // 2 * 2
        h = min(source_height // 2 * 2, int(round(w * height / width / 2)) * 2)
    return max(2, w), max(2, h)


def write_plan(plan: Plan, path: str | os.PathLike) -> None:
    validate_plan(plan, path)
    write_json(plan.to_json(), path)


def read_plan(path: str | os.PathLike) -> Plan:
    path = Path(path)
    if not path.is_file():
        raise PlanError("no such plan file", path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlanError(f"not a JSON plan file ({e.__class__.__name__}: {e})".splitlines()[0], path) from None
    return plan_from_json(data, path)


def plan_from_json(data: Any, where: Any = None, label: str = "plan") -> Plan:
    """The Plan held by parsed plan JSON, checked (``read_plan`` without the file);
    ``label`` names it in errors ("plan", "the embedded plan")."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else None
        raise PlanError(f"unknown plan schema {got!r} (expected {SCHEMA!r})", where)
    try:
        plan = Plan(source=data["source"], target=data["target"], shots=data["shots"], crop=data["crop"],
                    episodes=data["episodes"], subtitles=data.get("subtitles", {}),
                    analysis=data.get("analysis", {}), extras=data.get("extras", {}),
                    transitions=data.get("transitions", []), dubs=data.get("dubs", {}))
    except KeyError as e:
        raise PlanError(f"{label} is missing the {e.args[0]!r} section", where) from None
    validate_plan(plan, where)
    return plan


def validate_plan(plan: Plan, path: Any = None) -> None:
    """Raise PlanError naming the first rule the plan breaks."""
    def fail(msg: str):
        raise PlanError(msg, path)

    src = plan.source
    for key in ("path", "width", "height", "fps", "frame_count", "has_audio"):
        if key not in src:
            fail(f"source.{key} is missing")
    try:
        fps = Fraction(str(src["fps"]))
    except (ValueError, ZeroDivisionError):
        fail(f"source.fps {src['fps']!r} is not a rational like '30000/1001'")
    if fps <= 0:
        fail("source.fps must be positive")
    n = src["frame_count"]
    if not isinstance(n, int) or n < 1:
        fail("source.frame_count must be a positive integer")
    if src.get("vfr"):
        try:
            tb = Fraction(str(src.get("time_base")))
        except (ValueError, ZeroDivisionError):
            tb = Fraction(0)
        if tb <= 0:
            fail("source.time_base must be a positive rational like '1/90000' for a variable-frame-rate source")
        pts = src.get("frame_pts")
        if not isinstance(pts, list) or len(pts) != n or not all(isinstance(v, int) for v in pts) \
                or any(b <= a for a, b in zip(pts, pts[1:])) or pts[0] != 0:
            fail(f"source.frame_pts must list {n} increasing integer timestamps from 0")
    tw, th = plan.target.get("width"), plan.target.get("height")
    if not (isinstance(tw, int) and isinstance(th, int) and tw > 0 and th > 0 and tw % 2 == 0 and th % 2 == 0):
        fail("target width and height must be positive even integers")
    prev = 0
    for i, s in enumerate(plan.shots):
        if s.get("start") != prev or not isinstance(s.get("end"), int) or s["end"] <= s["start"]:
            fail(f"shots[{i}] must start at frame {prev} and end after it")
        prev = s["end"]
        hint = s.get("hint")
        if hint is not None and not (isinstance(hint, int) or hint in ("left", "center", "right")):
            fail(f"shots[{i}].hint must be an integer x or 'left', 'center' or 'right'")
    if prev != n:
        fail(f"shots cover {prev} frames but the source has {n}")
    for key in ("x", "y", "w", "h"):
        arr = plan.crop.get(key)
        if not isinstance(arr, list) or len(arr) != n:
            fail(f"crop.{key} must list one integer per source frame ({n})")
    W, H = src["width"], src["height"]
    for i, (x, y, w, h) in enumerate(zip(plan.crop["x"], plan.crop["y"], plan.crop["w"], plan.crop["h"])):
        if w < 2 or h < 2 or x < 0 or y < 0 or x + w > W or y + h > H:
            fail(f"crop at frame {i} ({x},{y},{w},{h}) is outside the {W}x{H} source")
    if not plan.episodes:
        fail("the plan has no episodes")
    prev = 0  # episodes play in source order; frames between them (cut in an editor) are left out
    for i, ep in enumerate(plan.episodes):
        start = ep.get("start")
        if ep.get("index") != i + 1 or not isinstance(start, int) or start < prev or not isinstance(ep.get("end"), int) \
                or ep["end"] <= start:
            fail(f"episodes[{i}] must be index {i + 1} starting at frame {prev} or later")
        prev = ep["end"]
        recap = ep.get("recap")
        if recap is not None and not (isinstance(recap, dict) and 0 <= recap.get("start", -1) < recap.get("end", -1)
                                      <= ep["start"]):
            fail(f"episodes[{i}].recap must be {{start, end}} frames before the episode")
    if prev > n:
        fail(f"episodes run to frame {prev} but the source has {n}")
    if not isinstance(plan.dubs, dict):
        fail("dubs must map a language to {path, offset_s}")
    for lang, dub in plan.dubs.items():
        if not isinstance(dub, dict) or not isinstance(dub.get("path"), str):
            fail(f"dubs.{lang}.path must be the dub's file path")
        try:
            Fraction(str(dub.get("offset_s", "0")))
        except (ValueError, ZeroDivisionError):
            fail(f"dubs.{lang}.offset_s {dub.get('offset_s')!r} is not seconds like '0' or '-3/2'")
