"""Editor round trips through OpenTimelineIO: a plan's episodes as clips on a timeline, and back.

``plan_to_timeline`` / ``export_otio`` lay the episodes out as one video track
("Episodes"): one Clip per episode whose media is the source file
(ExternalReference with its available range) and whose ``source_range`` is the
episode's frames at the plan's exact rate (``RationalTime(frame, float(fps))``,
integer frame values). Each clip carries markers for the shots it holds and
metadata under ``verticalize``: the episode (index, score, reasons, recap) and
its crop keyframes. The timeline's metadata holds the whole plan (compressed,
with its sha256), so an edited timeline imports on any machine without the
original plan file.

``timeline_to_plan`` / ``import_otio`` read an edited timeline back: each
clip left on the episodes track becomes an episode (moved, trimmed, split or
deleted clips move, trim, split or drop episodes; gaps are ignored). Shots and
the crop path come from the embedded plan: they cover the whole source, so a
moved boundary just selects other frames.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from verticalize.errors import OptionsError, PlanError
from verticalize.files import write_text
from verticalize.plan import SCHEMA, Plan, plan_from_json, validate_plan

log = logging.getLogger(__name__)

OTIO_SCHEMA = "verticalize.otio/1"   # layout of our metadata in the timeline
NAMESPACE = "verticalize"            # metadata key on the timeline, track, clips and markers
EPISODES_TRACK = "Episodes"
EDITED_REASON = {"feature": "edited", "value": 1}  # an episode end an editor chose: no hook score
_MODE_COLORS = {"static": "GREEN", "pan": "CYAN", "track": "BLUE", "speaker": "PURPLE", "pad": "ORANGE"}
_SAME_RATE = 1e-4        # rates closer than this (relative) are one rate: 29.97 written for 30000/1001
_FRAME_TOLERANCE = 1e-3  # a time within this many frames of a whole frame is on that frame


# ---------------------------------------------------------------- plan -> timeline

def plan_to_timeline(plan: Plan) -> otio.schema.Timeline:
    """The plan's episodes as an OpenTimelineIO timeline (see the module docstring)."""
    validate_plan(plan)
    fps = plan.fps
    rate = float(fps)
    n = plan.source["frame_count"]
    data = _plan_bytes(plan)
    timeline = otio.schema.Timeline(name=Path(plan.source["path"]).stem, global_start_time=_time(0, rate))
    timeline.metadata[NAMESPACE] = {
        "schema": OTIO_SCHEMA, "plan_schema": SCHEMA, "source": plan.source["path"], "fps": _fps_text(fps),
        "frame_count": n, "target": dict(plan.target), "subtitle_languages": list(plan.subtitles),
        "extras": dict(plan.extras),
        "plan_sha256": hashlib.sha256(data).hexdigest(),
        "plan_zlib_base64": base64.b64encode(zlib.compress(data, 9)).decode("ascii"),
    }
    track = otio.schema.Track(name=EPISODES_TRACK, kind=otio.schema.TrackKind.Video)
    track.metadata[NAMESPACE] = {"role": "episodes"}
    timeline.tracks.append(track)
    at = 0  # record time follows source time: frames left out become gaps
    for ep in plan.episodes:
        s, e = ep["start"], ep["end"]
        if s > at:
            track.append(otio.schema.Gap(source_range=_range(0, s - at, rate)))
        clip = otio.schema.Clip(name=f"Episode {ep['index']}", media_reference=_media(plan, rate),
                                source_range=_range(s, e - s, rate))
        episode_meta = {k: ep[k] for k in ("index", "score", "reasons") if k in ep}
        if ep.get("recap"):
            episode_meta["recap"] = dict(ep["recap"])
        for k, shot in enumerate(plan.shots):
            a, b = max(shot["start"], s), min(shot["end"], e)
            if a < b:
                clip.markers.append(_shot_marker(k, shot, a, b, rate))
        track.append(_with_metadata(clip, {"episode": episode_meta, "crop_keyframes": crop_keyframes(plan, s, e)}))
        at = e
    return timeline


def crop_keyframes(plan: Plan, start: int, end: int) -> list[list[int]]:
    """[frame, x, y, w, h] for frame ``start`` and every later frame where the crop window changes."""
    xs, ys, ws, hs = (plan.crop[k] for k in "xywh")
    out, prev = [], None
    for f in range(start, end):
        cur = (xs[f], ys[f], ws[f], hs[f])
        if cur != prev:
            out.append([f, *cur])
            prev = cur
    return out


def _shot_marker(k: int, shot: dict, a: int, b: int, rate: float) -> otio.schema.Marker:
    hint = shot.get("hint")
    name = f"shot {k + 1}: {shot.get('mode', '?')}" + (f", hint {hint}" if hint is not None else "")
    meta = {"shot": k + 1, "start": shot["start"], "end": shot["end"], "mode": shot.get("mode")}
    if hint is not None:
        meta["hint"] = hint
    color = "MAGENTA" if hint is not None else _MODE_COLORS.get(shot.get("mode"), "WHITE")
    return otio.schema.Marker(name=name, marked_range=_range(a, b - a, rate),
                              color=getattr(otio.schema.MarkerColor, color), metadata={NAMESPACE: meta})


def _with_metadata(obj, meta: dict):
    """A copy of ``obj`` with ``meta`` under NAMESPACE. OTIO's JSON reader builds long metadata lists about
    ten times faster than assigning them from Python (a 2-hour crop path: 1 s instead of 8)."""
    data = json.loads(obj.to_json_string())
    data["metadata"][NAMESPACE] = meta
    return otio.core.deserialize_json_from_string(json.dumps(data))


def _media(plan: Plan, rate: float) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(target_url=str(plan.source["path"]),
                                         available_range=_range(0, plan.source["frame_count"], rate))


def _time(frame: int, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(int(frame), rate)


def _range(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start, rate), _time(duration, rate))


def _fps_text(fps: Fraction) -> str:
    return f"{fps.numerator}/{fps.denominator}"


def _plan_bytes(plan: Plan) -> bytes:
    return json.dumps(plan.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def export_otio(plan: Plan, path: str | os.PathLike) -> otio.schema.Timeline:
    """Write ``plan`` as an .otio timeline to ``path`` (temporary file, then rename); returns the timeline."""
    path = Path(path)
    if path.suffix.lower() != ".otio":
        raise OptionsError(f"--otio {path}: the timeline must be an .otio file")
    timeline = plan_to_timeline(plan)
    text = otio.adapters.write_to_string(timeline, "otio_json", indent=0)  # compact: crop keyframes are long
    write_text(path, text + "\n")
    return timeline


# ---------------------------------------------------------------- timeline -> plan

def timeline_to_plan(timeline: otio.schema.Timeline, source_plan: Plan | None = None,
                     path: str | os.PathLike | None = None) -> Plan:
    """The plan an edited timeline describes.

    ``source_plan`` is the plan the timeline was exported from; by default the
    copy embedded in the timeline's metadata. ``path`` names the timeline in
    errors. Each enabled clip on the episodes track becomes an episode, in
    timeline order; clips must play the plan's source, in source order, not
    overlapping, inside the source, on whole frames at the plan's rate.
    Raises PlanError naming the first problem.
    """
    where = path
    if source_plan is None:
        source_plan = embedded_plan(timeline, where)
    fps = source_plan.fps
    n = source_plan.source["frame_count"]
    source_name = _file_name(str(source_plan.source["path"]))
    spans: list[tuple[int, int, str]] = []
    for item in _episodes_track(timeline, where):
        if isinstance(item, otio.schema.Gap):
            continue
        if isinstance(item, otio.schema.Transition):
            log.warning("%s: transition %r between episodes ignored (episodes are separate files)", where, item.name)
            continue
        if not isinstance(item, otio.schema.Clip):
            raise PlanError(f"the episodes track holds a {item.schema_name()} {item.name!r}; only clips and gaps "
                            "can become episodes (flatten nested sequences in the editor)", where)
        if not item.enabled:
            continue
        name = item.name or f"clip {len(spans) + 1}"
        if any(isinstance(fx, otio.schema.TimeEffect) for fx in item.effects):
            raise PlanError(f"clip {name!r} changes speed; episodes play at the source's speed", where)
        ref = item.media_reference
        offset = 0.0
        if isinstance(ref, otio.schema.ExternalReference):
            if ref.target_url and _file_name(ref.target_url) != source_name:
                raise PlanError(f"clip {name!r} plays {_file_name(ref.target_url)}, not the plan's source "
                                f"{source_name}", where)
            if ref.available_range is not None:
                offset = ref.available_range.start_time.to_seconds()  # media that starts at a timecode
        elif not isinstance(ref, otio.schema.MissingReference):
            raise PlanError(f"clip {name!r} plays a {ref.schema_name()}, not the plan's source {source_name}", where)
        if item.source_range is None:
            start, dur = 0, n
        else:
            start = _frame(item.source_range.start_time, fps, offset, f"clip {name!r} starts", where)
            dur = _frame(item.source_range.duration, fps, 0.0, f"clip {name!r} lasts", where)
        if dur <= 0:
            continue  # an empty clip plays nothing
        if start < 0 or start + dur > n:
            raise PlanError(f"clip {name!r} (frames [{start}, {start + dur})) lies outside the source's frames "
                            f"[0, {n})", where)
        spans.append((start, start + dur, name))
    if not spans:
        raise PlanError("the episodes track has no clips left: no episode to render", where)
    for (s0, e0, a), (s1, e1, b) in zip(spans, spans[1:]):
        if s1 < s0:
            raise PlanError(f"clip {b!r} (frames [{s1}, {e1})) comes after clip {a!r} (frames [{s0}, {e0})) "
                            "but plays earlier frames; keep the clips in source order", where)
        if s1 < e0:
            raise PlanError(f"clips {a!r} (frames [{s0}, {e0})) and {b!r} (frames [{s1}, {e1})) overlap", where)
    plan = copy.deepcopy(source_plan)
    old = [(ep["start"], ep["end"]) for ep in source_plan.episodes]
    if [(s, e) for s, e, _ in spans] != old:
        plan.episodes = _episodes(source_plan, [(s, e) for s, e, _ in spans])
    validate_plan(plan, where)
    return plan


def _episodes(source_plan: Plan, spans: list[tuple[int, int]]) -> list[dict]:
    """Episodes for new spans; an episode keeps the score and reasons of the original one that ended on its
    last frame (the hook belongs to the boundary), others get EDITED_REASON. Recaps are recomputed."""
    by_end = {ep["end"]: ep for ep in source_plan.episodes}
    out = []
    for i, (s, e) in enumerate(spans, start=1):
        if e in by_end:
            ep = copy.deepcopy(by_end[e])
            ep.pop("recap", None)
            ep.update(index=i, start=s, end=e)
        else:
            ep = {"index": i, "start": s, "end": e, "score": 0.0, "reasons": [dict(EDITED_REASON)]}
        out.append(ep)
    recap_s = source_plan.extras.get("recap_s") or 0
    lengths = [ep["recap"]["end"] - ep["recap"]["start"] for ep in source_plan.episodes if ep.get("recap")]
    frames = int(round(Fraction(recap_s) * source_plan.fps)) if recap_s else max(lengths, default=0)
    for prev, ep in zip(out, out[1:]):  # the rule of edit.episodes.add_recaps
        if frames > 0:
            ep["recap"] = {"start": max(prev["start"], prev["end"] - frames), "end": prev["end"]}
    return out


def _frame(t: otio.opentime.RationalTime, fps: Fraction, offset_s: float, what: str, where) -> int:
    """``t`` (minus ``offset_s`` seconds) as a whole frame number at ``fps``; PlanError when between frames."""
    rate = float(fps)
    if abs(t.rate - rate) <= _SAME_RATE * rate:
        value = t.value - offset_s * t.rate
    else:
        value = (t.value / t.rate - offset_s) * rate if t.rate else float("nan")
    whole = round(value) if value == value else None
    if whole is None or abs(value - whole) > _FRAME_TOLERANCE:
        raise PlanError(f"{what} at {t.value:g} (rate {t.rate:g}), which is not a whole frame at "
                        f"{_fps_text(fps)} fps", where)
    return int(whole)


def _episodes_track(timeline, where) -> otio.schema.Track:
    tracks = [t for t in timeline.video_tracks()]
    tagged = [t for t in tracks if _plain(t.metadata.get(NAMESPACE) or {}).get("role") == "episodes"]
    if len(tagged) == 1:
        return tagged[0]
    named = [t for t in tracks if t.name == EPISODES_TRACK]
    if len(named) == 1:
        return named[0]
    if len(tracks) == 1:
        return tracks[0]
    raise PlanError(f"the timeline has {len(tracks)} video tracks and none is the {EPISODES_TRACK!r} track", where)


def embedded_plan(timeline, where=None) -> Plan:
    """The plan ``plan_to_timeline`` embedded in the timeline's metadata."""
    meta = timeline.metadata.get(NAMESPACE) if isinstance(timeline, otio.schema.Timeline) else None
    meta = _plain(meta) if meta is not None else None
    if not isinstance(meta, dict) or "plan_zlib_base64" not in meta:
        raise PlanError("the timeline has no verticalize metadata (make one with `verticalize export PLAN --otio "
                        "OUT.otio`, or pass the original plan with --plan)", where)
    if meta.get("schema") != OTIO_SCHEMA:
        raise PlanError(f"unknown verticalize timeline schema {meta.get('schema')!r} (expected {OTIO_SCHEMA!r})",
                        where)
    try:
        data = zlib.decompress(base64.b64decode(meta["plan_zlib_base64"], validate=True))
    except (ValueError, zlib.error) as e:
        raise PlanError(f"the embedded plan is damaged ({e})", where) from None
    if hashlib.sha256(data).hexdigest() != meta.get("plan_sha256"):
        raise PlanError("the embedded plan is damaged (its sha256 does not match)", where)
    return _plan_from_json(json.loads(data.decode("utf-8")), where)


def _plan_from_json(data: dict, where) -> Plan:
    return plan_from_json(data, where, "the embedded plan")


def _plain(value: Any) -> Any:
    """OTIO metadata (AnyDictionary, AnyVector) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    return value


def _file_name(url_or_path: str) -> str:
    """The file name in a plain path (POSIX or Windows) or a file:// URL."""
    if "://" in url_or_path:
        url_or_path = unquote(urlparse(url_or_path).path)
    return PureWindowsPath(url_or_path).name if "\\" in url_or_path else PurePosixPath(url_or_path).name


def read_timeline(path: str | os.PathLike) -> otio.schema.Timeline:
    """The one timeline in an .otio file (or a collection holding exactly one); PlanError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise PlanError("no such timeline file", path)
    try:
        result = otio.adapters.read_from_file(str(path))
    except (ValueError, KeyError, TypeError, OSError, otio.exceptions.OTIOError) as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise PlanError(f"not an OpenTimelineIO timeline ({detail})", path) from None
    if isinstance(result, otio.schema.SerializableCollection):
        found = [t for t in result if isinstance(t, otio.schema.Timeline)]
        if len(found) == 1:
            result = found[0]
    if not isinstance(result, otio.schema.Timeline):
        kind = result.schema_name() if hasattr(result, "schema_name") else type(result).__name__
        raise PlanError(f"not an OpenTimelineIO timeline (it holds a {kind})", path)
    return result


def import_otio(path: str | os.PathLike, source_plan: Plan | None = None) -> Plan:
    """The plan an edited .otio timeline describes (see ``timeline_to_plan``)."""
    return timeline_to_plan(read_timeline(path), source_plan, path)


# ---------------------------------------------------------------- CLI
