"""The review page: every decision of a plan, shown on the source's own frames.

``review(plan, outdir)`` writes ``outdir/index.html`` and its pictures beside it
(``img/``): a static page, no server, no network. It is built from the plan
and the source (and the plan's subtitles) alone, so an edited plan (hints,
moved boundaries, an OTIO import) shows its new decisions.

* per shot: source frames near its start, middle and end with the crop window
  drawn (yellow; magenta where a hint sets it, cyan for the active picture
  inside bars, the whole active picture for ``pad``), and one 9:16 frame as
  the render makes it (``verticalize.media.encode.encode_episode`` on windows
  from ``verticalize.render.episode_windows``, subtitles burned in by libass),
  with the platform's safe zone outlined;
* the episode timeline, the crop path per episode (inline SVG), what the
  analysis saw and every warning.

Source frames are keyframes where the shot has one (one ffmpeg pass decodes
only those: ``verticalize.media.thumbs``), so the page costs a few intra
decodes per shot, not a decode of the film.
"""
from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
from bisect import bisect_left
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from subtitles import cue_frame_spans, fontconfig_file, fonts_dir, load_track, safe_zone, write_burnin_ass
from subtitles.retime import shifted, track_for_segments
from verticalize.errors import NoTimestamps, OptionsError, RenderError
from verticalize.files import write_text
from verticalize.media import probe
from verticalize.media.encode import Segment, encode_episode
from verticalize.media.thumbs import (grab_frame, jpeg_film, keyframe_passes, keyframes, picture_size, read_stored,
                                     read_video, stored_keyframes)
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan
from verticalize.render import active_box, episode_windows

# drawing colours, RGB
CROP_RGB = (255, 220, 0)      # the crop window the plan gives
HINT_RGB = (255, 0, 255)      # the crop window an editor's hint sets
ACTIVE_RGB = (0, 220, 255)    # the active picture (bars left out)
SAFE_RGB = (0, 255, 0)        # the platform's safe zone on the 9:16 preview
LINE_PX = 2                   # outline width on the thumbnails, px

PREVIEWS_PER_FFMPEG = 16      # 9:16 preview frames rendered by one ffmpeg process (one input each)
STORED_PER_FILM = 128         # stored keyframes per preview film (raw video, 854x480: 79 MB on disk at most)

REASON_WORDS = {  # edit.episodes HOOK_WEIGHTS features and boundary kinds, as an editor reads them
    "question": "a question", "ellipsis": "a line left hanging", "exclamation": "an exclamation",
    "unfinished": "an unfinished line", "line_just_ended": "a line just ended", "reply_follows": "a reply after the cut",
    "sting": "a sting", "silence_after": "silence after the cut", "loudness_rise": "a swell into the cut",
    "close_up": "a close-up", "motion_spike": "a burst of motion", "quickening": "quickening cuts",
    "cut_strength": "a hard cut", "boundary_in_cue": "cut inside a subtitle cue",
    "boundary_in_speech": "cut inside speech", "boundary_off_cut": "cut off the shot cuts",
    "dissolve_left_out": "a dissolve left out", "edited": "moved by an editor",
}
FALLBACK_REASONS = ("boundary_in_cue", "boundary_in_speech", "boundary_off_cut")


@dataclass
class ShotView:
    """What the page shows of one shot."""
    index: int                      # 0-based, as in plan.shots
    start: int
    end: int
    mode: str
    hint: object
    frames: list[int]               # source frames shown (ascending)
    preview: int                    # source frame of the 9:16 preview
    windows: dict                   # episode_windows crop lists for [start, end)
    padded: bool
    notes: list[str] = field(default_factory=list)


def reasons_in_words(reasons: list) -> str:
    """``[{"feature": "question", ...}, {"feature": "sting"}]`` -> "a question; a sting"."""
    words = [REASON_WORDS.get(r.get("feature"), str(r.get("feature")).replace("_", " ")) for r in reasons or []]
    return "; ".join(words) or "no hook found"


def clock(seconds: Fraction | float) -> str:
    """m:ss.s (h:mm:ss.s from an hour on) of a time in seconds."""
    tenths = int(round(float(seconds) * 10))
    s, t = divmod(tenths, 10)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}.{t}" if h else f"{m}:{s:02d}.{t}"


def even(v: float) -> int:
    return max(2, int(round(v / 2)) * 2)


def pick_frames(start: int, end: int, keys: list[int]) -> list[int]:
    """Frames of shot [start, end) to show: the keyframes nearest its start, middle and last frame,
    or its middle frame alone when no keyframe falls inside it (decoded by a seek)."""
    lo, hi = bisect_left(keys, start), bisect_left(keys, end)
    inside = keys[lo:hi]
    if not inside:
        return [(start + end - 1) // 2]
    return sorted({min(inside, key=lambda k: abs(k - t)) for t in (start, (start + end - 1) // 2, end - 1)})


def pick_preview(start: int, end: int, keys: list[int], on_cue: np.ndarray | None = None) -> int:
    """The preview frame of shot [start, end): a keyframe inside it (decoded once, by the keyframe pass
    that makes the thumbnails), one with a cue on screen nearest the middle if any, else the one nearest
    the middle; a shot without a keyframe gets a cue frame or its middle (the render's own seek decodes
    it). ``on_cue``: per source frame, a cue shows."""
    mid = (start + end - 1) // 2
    lo, hi = bisect_left(keys, start), bisect_left(keys, end)
    candidates = keys[lo:hi] or list(range(start, end))
    in_cue = [f for f in candidates if on_cue is not None and on_cue[f]]
    return min(in_cue or candidates, key=lambda f: (abs(f - mid), f))


def draw_box(img: np.ndarray, box, scale_x: float, scale_y: float, rgb, width: int = LINE_PX) -> None:
    """Outline ``box`` (x0, y0, x1, y1 in source px) on ``img`` (scaled by ``scale_x``/``scale_y``), in place."""
    h, w = img.shape[:2]
    x0 = min(max(0, int(round(box[0] * scale_x))), w - width)
    y0 = min(max(0, int(round(box[1] * scale_y))), h - width)
    x1 = min(max(x0 + width, int(round(box[2] * scale_x))), w)
    y1 = min(max(y0 + width, int(round(box[3] * scale_y))), h)
    img[y0:y0 + width, x0:x1] = rgb
    img[y1 - width:y1, x0:x1] = rgb
    img[y0:y1, x0:x0 + width] = rgb
    img[y0:y1, x1 - width:x1] = rgb


def save_jpeg(img: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(img)).save(path, quality=88, subsampling=0)


def _cue_frames(plan: Plan, lang: str | None) -> tuple[object, np.ndarray | None]:
    """(the track of ``lang`` aligned to the video's first frame, per source frame: a cue shows)."""
    if not lang:
        return None, None
    track = load_track(plan.subtitles[lang], lang)
    track = shifted(track, -int(round(Fraction(plan.source.get("video_start_s", "0")) * 1000)))
    on_cue = np.zeros(plan.source["frame_count"] + 1, bool)
    for a, b in cue_frame_spans(track, plan.fps, plan.frame_times()):
        on_cue[a:b] = True
    return track, on_cue


def _pad_note(plan: Plan, shot: dict) -> str:
    """Why a pad shot is padded: the plan's ``subject`` says (older plans: inferred from what they hold)."""
    said = {"text": "padded: burned-in text wider than the crop",
            "bars": "padded: the active picture is narrower than the crop",
            "faces": "padded: two faces could not share the crop and nobody was seen speaking",
            "saliency": "padded: the subject is wider than the crop"}.get(shot.get("subject"))
    if said:
        return said
    if shot.get("text"):
        return "padded: burned-in text wider than the crop"
    faces = plan.analysis.get("faces", {})
    most = max((len(v) for k, v in faces.items() if shot["start"] <= int(k) < shot["end"]), default=0)
    if most >= 2:
        return "padded: two faces could not share the crop and nobody was seen speaking"
    if shot.get("active") or plan.source.get("active"):
        return "padded: the subject is wider than the crop (active picture inside bars shown whole)"
    return "padded: the subject is wider than the crop"


def _render_previews(plan: Plan, frames: list[int], track, opts: Options, size: tuple[int, int],
                     work: Path) -> dict[int, np.ndarray]:
    """9:16 pictures of source ``frames`` as the render makes them, one ffmpeg process for all:
    one-frame segments (windows from ``episode_windows``), subtitles of each moment burned in."""
    pw, ph = size
    small = replace(plan, target={"width": pw, "height": ph})
    segments = [Segment(f, f + 1, *episode_windows(plan, f, f + 1)) for f in frames]
    times = plan.frame_times()
    duration = sum((plan.time_of(f + 1, times) - plan.time_of(f, times) for f in frames), Fraction(0))
    part = None if track is None else track_for_segments(track, [(f, f + 1) for f in frames], plan.fps,
                                                         split_text=False, times=times)
    return _encode_previews(small, segments, frames, duration, part, None if plan.vfr else plan.fps, opts, work)


def _encode_previews(film: Plan, segments: list[Segment], frames: list[int], duration: Fraction, part,
                     ass_fps: Fraction | None, opts: Options, work: Path) -> dict[int, np.ndarray]:
    """Source ``frames`` -> their 9:16 pictures (``film.target`` in size): ``segments`` of ``film``
    rendered by the render's graph (x264 ultrafast, CRF 14) into one small file in ``work``, the
    subtitle track ``part`` (None: none) burned in, and read back."""
    pw, ph = film.target["width"], film.target["height"]
    burn = []
    if part is not None:
        ass = work / "subs.ass"
        write_burnin_ass(part, ass, pw, ph, platform=opts.platform, fps=ass_fps)
        burn.append(ass)
    out = work / "previews.mp4"
    encode_episode(film, segments, out, opts.with_(encoder="libx264", preset="ultrafast", crf=14),
                   frames=len(frames), duration=duration, burn=burn, fonts_dir=fonts_dir() if burn else None,
                   fontconfig_file=fontconfig_file() if burn else None, work=work, label="review previews")
    got = read_video(out, pw, ph)
    if len(got) != len(frames):
        raise RenderError(f"review previews: {len(got)} frames rendered, {len(frames)} expected", out)
    return dict(zip(frames, got))


def scaled_windows(crop: dict, sx: float, sy: float, width: int, height: int) -> dict:
    """Crop windows (lists ``x y w h``, source px) scaled by ``sx``, ``sy`` to a picture of
    ``width`` x ``height``, rounded to whole pixels and kept inside it."""
    w = [max(1, min(width, round(v * sx))) for v in crop["w"]]
    h = [max(1, min(height, round(v * sy))) for v in crop["h"]]
    x = [max(0, min(width - wk, round(v * sx))) for v, wk in zip(crop["x"], w)]
    y = [max(0, min(height - hk, round(v * sy))) for v, hk in zip(crop["y"], h)]
    return {"x": x, "y": y, "w": w, "h": h}


def _render_kept_previews(plan: Plan, frames: list[int], kept: Path, track, opts: Options,
                          size: tuple[int, int], work: Path, kept_size: tuple[int, int] | None = None
                          ) -> dict[int, np.ndarray]:
    """9:16 pictures of source ``frames`` (constant frame rate), made by the render's graph from
    ``kept``: those source frames as decoded, one after another (``keyframe_passes``), or the stored
    keyframes' displayed pictures of ``kept_size`` (width, height; ``jpeg_film``), the windows scaled to
    it. The graph sees them as a film of their own, one segment: each frame with its own window
    (``sendcmd`` moves the crop from frame to frame), or the pad picture on the padded ones (runs of
    pad and crop joined as in a render); subtitles as for one-frame segments of the source."""
    pw, ph = size
    n = len(frames)
    windows = [episode_windows(plan, f, f + 1) for f in frames]
    crop = {c: [w[c][0] for w, _ in windows] for c in "xywh"}
    source = {**plan.source, "path": str(kept), "frame_count": n, "video_start_s": "0", "has_audio": False}
    if kept_size is not None:  # displayed pictures of another size: no deinterlace, square pixels
        kw, kh = kept_size
        sx, sy = kw / plan.source["width"], kh / plan.source["height"]
        crop = scaled_windows(crop, sx, sy, kw, kh)
        source = {k: v for k, v in source.items() if k not in ("deinterlace", "sar", "active")}
        source.update(width=kw, height=kh)
        if plan.source.get("active"):
            x0, y0, x1, y1 = plan.source["active"]
            source["active"] = [round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)]
    pads: list[tuple[int, int]] = []  # runs of padded frames, [start, end) in this film
    for k, (_, frame_pads) in enumerate(windows):
        if frame_pads:
            if pads and pads[-1][1] == k:
                pads[-1] = (pads[-1][0], k + 1)
            else:
                pads.append((k, k + 1))
    film = replace(plan, source=source, target={"width": pw, "height": ph})
    part = None if track is None else track_for_segments(track, [(f, f + 1) for f in frames], plan.fps,
                                                         split_text=False)
    return _encode_previews(film, [Segment(0, n, crop, pads)], frames, Fraction(n) / plan.fps, part, plan.fps,
                            opts, work)


def review(plan: Plan, outdir: str | os.PathLike, opts: Options = DEFAULTS, lang: str | None = None) -> Path:
    """Write the review page of ``plan`` into ``outdir`` (``index.html`` and ``img/``); returns index.html.

    ``lang``: the subtitles burned into the 9:16 previews (default: the plan's first language;
    "none" for none). The folder is written under a temporary name and renamed when complete; an
    existing review page there is replaced, any other non-empty folder is refused.
    """
    t0 = time.perf_counter()
    outdir = Path(outdir)
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir()) and not (outdir / "index.html").is_file()):
        raise OptionsError("is not empty and holds no review page; choose another folder", outdir)
    src = plan.source["path"]
    if not Path(src).is_file():
        raise RenderError("source video of the plan is missing", src)
    if lang is None:
        lang = next(iter(plan.subtitles), None)
    elif lang == "none":
        lang = None
    elif lang not in plan.subtitles:
        raise OptionsError(f"lang {lang}: the plan has subtitles for {', '.join(plan.subtitles) or 'no language'}")
    info = probe(src)
    keys = keyframes(info)
    W, H = plan.source["width"], plan.source["height"]
    tw = opts.review_thumb_width_px
    th = even(tw * H / W)
    ph = opts.review_preview_height_px
    pw = even(ph * plan.target["width"] / plan.target["height"])
    track, on_cue = _cue_frames(plan, lang)

    shots = []
    for i, s in enumerate(plan.shots):
        crop, pads = episode_windows(plan, s["start"], s["end"])
        view = ShotView(i, s["start"], s["end"], s.get("mode", "?"), s.get("hint"),
                        pick_frames(s["start"], s["end"], keys), pick_preview(s["start"], s["end"], keys, on_cue),
                        crop, bool(pads))
        if view.padded:
            view.notes.append(_pad_note(plan, s))
        shots.append(view)
    ends = [ep["end"] - 1 for ep in plan.episodes]
    wanted = sorted({f for v in shots for f in v.frames} | set(ends))

    parent = outdir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=parent))
    work = Path(tempfile.mkdtemp(prefix="verticalize-review-"))
    starts = [v.start for v in shots]
    sx, sy = tw / W, th / H
    film_active = active_box(plan)

    def save_source(f: int, picture: np.ndarray) -> None:
        """Source frame ``f`` with its shot's crop window (and active picture) drawn, as img/fNNNNNNN.jpg."""
        v = shots[bisect_left(starts, f + 1) - 1]
        img = picture.copy()
        active = tuple(plan.shots[v.index].get("active") or film_active)
        if active != (0, 0, W, H):
            draw_box(img, active, sx, sy, ACTIVE_RGB)
        if v.padded:  # the whole active picture is shown
            draw_box(img, active, sx, sy, CROP_RGB, LINE_PX + 1)
        else:
            x, y, w, h = (v.windows[c][f - v.start] for c in "xywh")
            draw_box(img, (x, y, x + w, y + h), sx, sy, HINT_RGB if v.hint is not None else CROP_RGB)
        save_jpeg(img, tmp / "img" / f"f{f:07d}.jpg")

    keyset = set(keys)
    shown = set(wanted)
    previews_of: dict[int, list[int]] = {}
    for v in shots:
        previews_of.setdefault(v.preview, []).append(v.index)
    # previews on keyframes come from the keyframe pass's own decodes (constant frame rate: the kept
    # frames play at 1/fps each); the others are one-frame segments of the source, the render's seek
    kept_previews = set() if plan.vfr else {f for f in previews_of if f in keyset}
    # keyframes the analysis kept (KeyframeStore) are read, not decoded again: the shown ones, and the
    # previews' where the stored pictures are big enough (all of one size: one film)
    stored_all = stored_keyframes(info)
    stored = {f: path for f, path in stored_all.items() if f in shown}
    sizes = {f: picture_size(stored_all[f]) for f in sorted(kept_previews) if f in stored_all}
    sizes = {f: size for f, size in sizes.items() if size is not None and size[1] >= ph}
    film_size = max(set(sizes.values()), key=list(sizes.values()).count, default=None)
    previews_stored = sorted(f for f, size in sizes.items() if size == film_size)
    kept_previews -= set(previews_stored)
    left, top, right, bottom = safe_zone(opts.platform, pw, ph)

    def save_previews(pictures: dict[int, np.ndarray]) -> None:
        for f, picture in pictures.items():
            img = picture.copy()
            draw_box(img, (left, top, right, bottom), 1, 1, SAFE_RGB, 1)
            for i in previews_of[f]:
                save_jpeg(img, tmp / "img" / f"p{i:05d}.jpg")

    def kept_previews_from(frames: list[int], kept: Path, folder: Path) -> None:
        folder.mkdir()
        try:
            save_previews(_render_kept_previews(plan, frames, kept, track, opts, (pw, ph), folder))
        finally:
            kept.unlink(missing_ok=True)

    def stored_previews(frames: list[int], folder: Path) -> None:
        folder.mkdir()
        film = jpeg_film([stored_all[f] for f in frames], plan.fps, folder / "stored.mkv")
        save_previews(_render_kept_previews(plan, frames, film, track, opts, (pw, ph), folder, film_size))

    def previews(batch: list[int], folder: Path) -> None:
        folder.mkdir()
        save_previews(_render_previews(plan, batch, track, opts, (pw, ph), folder))

    def keyframe_thumbs(frames: list[int], pool: ThreadPoolExecutor) -> list:
        """Keyframes in passes that decode nothing else (the kept ones whole, for their previews, rendered
        in ``pool``: the jobs returned); exactly by seeks if a pass fails, previews then as the others."""
        done, renders = set(), []
        try:
            groups = [sorted(kept_previews)]
            for pictures, kept in keyframe_passes(info, frames, tw, th, keep=groups, folder=work):
                for f, picture in pictures:
                    if f in shown and f not in stored:
                        save_source(f, picture)
                    done.add(f)
                for group, path in kept:
                    if len(renders) >= 2:  # at most two kept files on disk waiting for their render
                        renders[-2].result()
                    renders.append(pool.submit(kept_previews_from, group, path, work / path.stem))
        except NoTimestamps:
            for f in frames:
                if f not in done:
                    if f in shown and f not in stored:
                        save_source(f, grab_frame(info, f, tw, th))
                    if f in kept_previews:
                        renders.append(pool.submit(previews, [f], work / f"seek{f}"))
        return renders

    try:
        (tmp / "img").mkdir()
        jobs = max(1, opts.jobs or os.cpu_count() or 1)
        other_previews = sorted(set(previews_of) - kept_previews - set(previews_stored))
        with ThreadPoolExecutor(max_workers=jobs + 1) as pool:  # + 1: the keyframe passes hand out renders
            # keyframes (shown, and previews) in one pass per KEYFRAMES_PER_PASS; other frames (episode ends,
            # shots without a keyframe) a seek each; other previews PREVIEWS_PER_FFMPEG to an ffmpeg process
            # ffmpeg's work first (the stored pictures' reads, in Python, fill the gaps)
            done = [pool.submit(stored_previews, previews_stored[k:k + STORED_PER_FILM], work / f"stored{k}")
                    for k in range(0, len(previews_stored), STORED_PER_FILM)]
            passes = pool.submit(keyframe_thumbs, sorted({f for f in wanted if f in keyset and f not in stored}
                                                         | kept_previews), pool)
            done += [pool.submit(lambda f: save_source(f, grab_frame(info, f, tw, th)), f)
                     for f in wanted if f not in keyset]
            done += [pool.submit(previews, other_previews[k:k + PREVIEWS_PER_FFMPEG], work / f"previews{k}")
                     for k in range(0, len(other_previews), PREVIEWS_PER_FFMPEG)]
            done += [pool.submit(lambda f: save_source(f, read_stored(stored[f], tw, th)), f) for f in stored]
            for job in [passes, *done, *passes.result()]:
                job.result()
        page = page_html(plan, shots, opts, lang, (tw, th), (pw, ph), time.perf_counter() - t0)
        write_text(tmp / "index.html", page)
        _swap_in(tmp, outdir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return outdir / "index.html"


def _swap_in(new: Path, outdir: Path) -> None:
    """Rename the finished folder ``new`` onto ``outdir`` (an earlier review page there is replaced)."""
    old = None
    if outdir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old.", suffix=".tmp", dir=outdir.parent))
        os.replace(outdir, old / "page")
    os.replace(new, outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---- the page --------------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px;background:#15171a;color:#e8e8e8}
h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #444}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #333;text-align:left;vertical-align:top}
.shot{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;padding:8px 0;border-bottom:1px solid #333}
a{color:#8cf}
.meta{width:150px;flex:none}.meta b{font-size:15px}
figure{margin:0}figcaption{font-size:12px;color:#aaa}
.mode{display:inline-block;padding:0 6px;border-radius:3px;background:#333}
.pad{background:#844}.hint{color:#f6f}.warn{color:#fc6}
.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
svg text{fill:#ccc;font-size:11px}
"""


def _esc(v) -> str:
    return html.escape(str(v), quote=True)


def page_html(plan: Plan, shots: list[ShotView], opts: Options, lang: str | None, thumb: tuple[int, int],
              preview: tuple[int, int], seconds: float) -> str:
    n = plan.source["frame_count"]
    times = plan.frame_times()
    t = lambda f: plan.time_of(f, times)  # noqa: E731
    name = Path(plan.source["path"]).name
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Review: {_esc(name)}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>Review: {_esc(name)}</h1>",
             f"<p>{plan.source['width']}x{plan.source['height']} at {_esc(plan.source['fps'])} fps, {n} frames "
             f"({clock(t(n))}); output {plan.target['width']}x{plan.target['height']}; previews with "
             f"{_esc(lang or 'no')} subtitles, platform {_esc(opts.platform)} safe zone (green). "
             f"<span class=\"key\"><span style=\"background:#ffdc00\"></span>crop window"
             f"<span style=\"background:#f0f\"></span>crop set by a hint"
             f"<span style=\"background:#00dcff\"></span>active picture (inside bars)</span></p>"]
    parts += _summary(plan, shots)
    parts += _warnings(plan, shots)
    parts += _episodes(plan, thumb)
    parts += _crop_paths(plan)
    parts.append("<h2 id=\"shots\">Shots</h2>")
    for v in shots:
        hint = f"<div class=\"hint\">hint: {_esc(v.hint)}</div>" if v.hint is not None else ""
        notes = "".join(f"<div class=\"warn\">{_esc(x)}</div>" for x in v.notes)
        speakers = plan.shots[v.index].get("speakers")
        turns = f"<div>{len(speakers)} speaker turns</div>" if speakers else ""
        figs = "".join(f"<figure><img src=\"img/f{f:07d}.jpg\" width=\"{thumb[0] * 7 // 10}\" "
                       f"height=\"{thumb[1] * 7 // 10}\" "
                       f"alt=\"frame {f}\"><figcaption>frame {f} ({clock(t(f))})</figcaption></figure>"
                       for f in v.frames)
        parts.append(
            f"<div class=\"shot\" id=\"shot{v.index}\"><div class=\"meta\"><b>shot {v.index}</b> "
            f"<span class=\"mode{' pad' if v.mode == 'pad' else ''}\">{_esc(v.mode)}</span>"
            f"<div>{clock(t(v.start))}&ndash;{clock(t(v.end))} ({float(t(v.end) - t(v.start)):.1f} s)</div>"
            f"<div>frames {v.start}&ndash;{v.end - 1}</div>{hint}{turns}{notes}"
            f"<div style=\"color:#888\">edit: <code>shots[{v.index}].hint</code></div></div>{figs}"
            f"<figure><img src=\"img/p{v.index:05d}.jpg\" width=\"{preview[0] // 2}\" "
            f"height=\"{preview[1] // 2}\" alt=\"9:16 frame {v.preview}\">"
            f"<figcaption>9:16, frame {v.preview}</figcaption></figure></div>")
    parts.append(f"<p style=\"color:#888\">written by verticalize review in {seconds:.1f} s</p></body></html>\n")
    return "\n".join(parts)


def _summary(plan: Plan, shots: list[ShotView]) -> list[str]:
    a = plan.analysis
    n = plan.source["frame_count"]
    modes: dict[str, int] = {}
    for v in shots:
        modes[v.mode] = modes.get(v.mode, 0) + 1
    speech = sum(e - s for s, e in a.get("speech", []))
    free = int(plan.extras.get("free_episodes", 0) or 0)
    rows = [("shots", f"{len(shots)} (" + ", ".join(f"{k} {v}" for k, v in sorted(modes.items())) + ")"),
            ("transitions (fades, dissolves)", len(plan.transitions)),
            ("faces sampled", f"{a.get('faces_sampled', '?')} frames, faces on {a.get('frames_with_faces', '?')}"),
            ("persons sampled", f"{a.get('persons_sampled', '?')} frames, persons on {a.get('frames_with_persons', '?')}"),
            ("speech share", f"{100 * speech / n:.1f}% of the frames" if "speech" in a else "not analysed"),
            ("active picture", plan.source.get("active") or "whole frame (no bars)"),
            ("hinted shots", sum(1 for v in shots if v.hint is not None)),
            ("episodes", f"{len(plan.episodes)} ({min(free, len(plan.episodes))} free)"),
            ("analysis time", f"{a['seconds']['total']:.1f} s" if "seconds" in a else "not in the plan (manifest.json)")]
    return ["<h2>What the analysis saw</h2><table>"] + [f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
                                                         for k, v in rows] + ["</table>"]


def _warnings(plan: Plan, shots: list[ShotView]) -> list[str]:
    times = plan.frame_times()
    t = lambda f: plan.time_of(f, times)  # noqa: E731
    rows = []
    opts = plan.analysis.get("input", {}).get("options", {})
    lo, hi = opts.get("episode_min_s"), opts.get("episode_max_s")
    for ep in plan.episodes:
        for r in ep.get("reasons", []):
            if r.get("feature") in FALLBACK_REASONS:
                rows.append((f"episode {ep['index']}", f"ends at {clock(t(ep['end']))}: "
                             f"{REASON_WORDS[r['feature']]} (no clean cut fitted the length limits)"))
        length = float(t(ep["end"]) - t(ep["start"]))
        last = ep is plan.episodes[-1]
        if hi is not None and (length > hi + 0.5 or lo is not None and length < lo - 0.5 and not last):
            rows.append((f"episode {ep['index']}", f"{length:.1f} s, outside {lo:g}-{hi:g} s"))
    for v in shots:
        for note in v.notes:
            rows.append((f"<a href=\"#shot{v.index}\">shot {v.index}</a>", f"{clock(t(v.start))}: {_esc(note)}"))
    if not rows:
        return ["<h2>Warnings</h2><p>none</p>"]
    return ["<h2>Warnings</h2><table>"] + [f"<tr><th>{k if k.startswith('<a') else _esc(k)}</th>"
                                           f"<td class=\"warn\">{v}</td></tr>" for k, v in rows] + ["</table>"]


def _episodes(plan: Plan, thumb: tuple[int, int]) -> list[str]:
    n = plan.source["frame_count"]
    times = plan.frame_times()
    t = lambda f: plan.time_of(f, times)  # noqa: E731
    free = int(plan.extras.get("free_episodes", 0) or 0)
    width = 1000
    x = lambda f: round(f * width / n, 2)  # noqa: E731
    svg = [f"<svg viewBox=\"0 -14 {width} 64\" width=\"100%\" role=\"img\" aria-label=\"episode timeline\">",
           f"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"24\" fill=\"#333\"/>"]
    for s, e in plan.analysis.get("speech", []):
        svg.append(f"<rect x=\"{x(s)}\" y=\"26\" width=\"{max(0.5, x(e) - x(s))}\" height=\"5\" fill=\"#6a6\"/>")
    for c in plan.cuts:
        svg.append(f"<line x1=\"{x(c)}\" x2=\"{x(c)}\" y1=\"18\" y2=\"24\" stroke=\"#999\" stroke-width=\"0.5\"/>")
    for ep in plan.episodes:
        colour = "#2a7" if ep["index"] <= free else "#c72"
        svg.append(f"<rect x=\"{x(ep['start'])}\" y=\"2\" width=\"{x(ep['end']) - x(ep['start'])}\" height=\"14\" "
                   f"fill=\"{colour}\" opacity=\"0.8\"><title>episode {ep['index']}</title></rect>")
        svg.append(f"<line x1=\"{x(ep['end'])}\" x2=\"{x(ep['end'])}\" y1=\"-2\" y2=\"24\" stroke=\"#fff\"/>")
        svg.append(f"<text x=\"{x(ep['end'])}\" y=\"-4\" text-anchor=\"end\">{ep['index']}: "
                   f"{ep.get('score', 0):.2f}</text>")
    svg.append(f"<text x=\"0\" y=\"44\">0:00</text><text x=\"{width}\" y=\"44\" text-anchor=\"end\">"
               f"{clock(t(n))}</text><text x=\"{width / 2}\" y=\"44\" text-anchor=\"middle\">episodes (green free, "
               f"orange paid), cuts, detected speech (green band)</text></svg>")
    rows = []
    for ep in plan.episodes:
        last = ep["end"] - 1
        recap = " (opens with a recap)" if ep.get("recap") else ""
        rows.append(
            f"<tr><td>{ep['index']}</td><td>{clock(t(ep['start']))}&ndash;{clock(t(ep['end']))}{recap}</td>"
            f"<td>{float(t(ep['end']) - t(ep['start'])):.1f} s</td>"
            f"<td>{'free' if ep['index'] <= free else 'paid'}</td><td>{float(ep.get('score', 0)):.2f}</td>"
            f"<td>{_esc(reasons_in_words(ep.get('reasons')) if ep['end'] < n else 'the end of the film')}</td>"
            f"<td><img src=\"img/f{last:07d}.jpg\" width=\"{thumb[0] // 2}\" height=\"{thumb[1] // 2}\" "
            f"alt=\"last frame {last}\"><br><small>frame {last}</small></td></tr>")
    return (["<h2>Episodes</h2>"] + svg + ["<table><tr><th>#</th><th>time</th><th>length</th><th></th><th>score</th>"
                                           "<th>why it ends there</th><th>last frame before the cut</th></tr>"]
            + rows + ["</table>"])


def _polyline(xs: list[float], ys: list[float]) -> str:
    """SVG points, without the inner points of level runs (a static shot is two points, not hundreds)."""
    r = np.round(np.asarray(ys, float), 1)
    keep = np.ones(len(r), bool)
    keep[1:-1] = ~((r[:-2] == r[1:-1]) & (r[1:-1] == r[2:]))
    return " ".join(f"{a:.1f},{b:.1f}" for a, b, k in zip(xs, ys, keep) if k)


def _column_extremes(edge: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column [edges[k], edges[k + 1]) of ``edge`` (NaN: nothing shown): (min, max, min comes first),
    NaN where the whole column is NaN; ``edges`` strictly increasing."""
    starts = edges[:-1]
    lo, hi = np.fmin.reduceat(edge, starts), np.fmax.reduceat(edge, starts)
    at = np.arange(len(edge))
    lengths = np.diff(edges)
    big = len(edge)
    first_lo = np.minimum.reduceat(np.where(edge == np.repeat(lo, lengths), at, big), starts)
    first_hi = np.minimum.reduceat(np.where(edge == np.repeat(hi, lengths), at, big), starts)
    return lo, hi, first_lo <= first_hi


def _crop_paths(plan: Plan) -> list[str]:
    """One plot per episode: the window's left and right edges (source px) against time, cuts dashed,
    padded shots grey, hinted shots magenta."""
    W = plan.source["width"]
    times = plan.frame_times()
    out = ["<h2>Crop path</h2><p>The crop window's left and right edges (source x, 0 at the top) against time; "
           "cuts dashed, padded shots grey, hinted shots magenta.</p>"]
    pw, ph = 1000, 120
    for ep in plan.episodes:
        s, e = ep["start"], ep["end"]
        crop, pads = episode_windows(plan, s, e)
        m = e - s
        x0 = np.asarray(crop["x"], float)
        x1 = x0 + np.asarray(crop["w"], float)
        padded = np.zeros(m, bool)
        for a, b in pads:
            padded[a:b] = True
        x0[padded], x1[padded] = np.nan, np.nan
        buckets = min(m, pw)  # min and max per column keep reversals visible
        edges = np.linspace(0, m, buckets + 1).astype(int)
        svg = [f"<svg viewBox=\"0 0 {pw} {ph + 14}\" width=\"100%\" role=\"img\" aria-label=\"crop path of "
               f"episode {ep['index']}\"><rect width=\"{pw}\" height=\"{ph}\" fill=\"#222\"/>"]
        fx = lambda k: k * pw / m  # noqa: E731
        fy = lambda v: v * ph / W  # noqa: E731
        for shot in plan.shots:
            a, b = max(shot["start"], s) - s, min(shot["end"], e) - s
            if a >= b:
                continue
            if shot.get("hint") is not None:
                svg.append(f"<rect x=\"{fx(a):.1f}\" width=\"{fx(b) - fx(a):.1f}\" height=\"{ph}\" fill=\"#f0f\" "
                           f"opacity=\"0.25\"/>")
            elif padded[a:b].all():
                svg.append(f"<rect x=\"{fx(a):.1f}\" width=\"{fx(b) - fx(a):.1f}\" height=\"{ph}\" fill=\"#888\" "
                           f"opacity=\"0.4\"/>")
            if a > 0:
                svg.append(f"<line x1=\"{fx(a):.1f}\" x2=\"{fx(a):.1f}\" y1=\"0\" y2=\"{ph}\" stroke=\"#aaa\" "
                           f"stroke-dasharray=\"3,3\"/>")
        for edge in (x0, x1):
            pts_x, pts_y = [], []
            for k, (lo, hi, first_is_lo) in enumerate(zip(*_column_extremes(edge, edges))):
                if np.isnan(lo):
                    if pts_x:
                        svg.append(f"<polyline fill=\"none\" stroke=\"#ffdc00\" points=\"{_polyline(pts_x, pts_y)}\"/>")
                    pts_x, pts_y = [], []
                    continue
                first, second = (lo, hi) if first_is_lo else (hi, lo)
                pts_x += [fx(edges[k]), fx(edges[k]) + (0.5 if second != first else 0)]
                pts_y += [fy(first), fy(second)]
            if pts_x:
                svg.append(f"<polyline fill=\"none\" stroke=\"#ffdc00\" points=\"{_polyline(pts_x, pts_y)}\"/>")
        svg.append(f"<text x=\"2\" y=\"{ph + 12}\">episode {ep['index']}: "
                   f"{clock(plan.time_of(s, times))}</text><text x=\"{pw}\" y=\"{ph + 12}\" text-anchor=\"end\">"
                   f"{clock(plan.time_of(e, times))}</text></svg>")
        out += svg
    return out
