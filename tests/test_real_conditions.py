"""Inputs as players see them: the conditions real footage brings, each made by one ffmpeg command
from a 6-second clip of the samples (late video stream, display rotation, edit list, non-square
pixels, interlacing, 10-bit, a cut-short file, audio that outlasts the picture)."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from media_helpers import count_frames, ffmpeg, read_frames
from verticalize.errors import InputError
from verticalize.media import probe
from verticalize.options import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
OPTS = DEFAULTS.with_(width=180, height=320, episodes=False, preset="ultrafast", jobs=1)
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18"]


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_samples.py"), "--name", "short"], check=True)
    d = tmp_path_factory.mktemp("conditions")
    clip = d / "src.mp4"  # 6 s, 320x180, 30 fps, a pan over a face and a cut at 5 s
    ffmpeg("-ss", "5", "-i", str(ROOT / "samples" / "short.mp4"), "-t", "6", "-vf", "scale=320:180", *X264,
           "-c:a", "aac", str(clip))
    return clip


def _analyze(path):
    import verticalize

    return verticalize.analyze(path, None, OPTS)


def _render(plan, out):
    import verticalize

    m = verticalize.render(plan, out, OPTS)
    return out / m["episodes"][0]["outputs"][0]["video"]


def test_video_that_starts_late_is_accepted_and_stays_in_sync(src, tmp_path):
    late = tmp_path / "late.mp4"
    ffmpeg("-i", str(src), "-ss", "3", "-itsoffset", "3", "-i", str(src), "-map", "1:v", "-map", "0:a", *X264,
           "-c:a", "copy", "-copyts", str(late))
    info = probe(late)
    assert info.start_s == 3 and info.frame_count == 180  # 9 s of file, 6 s of picture from 3 s on
    plan = _analyze(late)
    assert plan.source["video_start_s"] == "3" and plan.source["frame_count"] == 180
    out = _render(plan, tmp_path / "out")
    assert count_frames(out) == 180
    # the sound under video frame 0 is the file's sound at 3 s, not at 0 s
    audio = subprocess.run([*_ff(), "-v", "error", "-i", str(out), "-map", "0:a", "-ac", "1", "-ar", "8000",
                            "-f", "f32le", "-"], capture_output=True, check=True).stdout
    orig = subprocess.run([*_ff(), "-v", "error", "-i", str(late), "-map", "0:a", "-ac", "1", "-ar", "8000",
                           "-f", "f32le", "-"], capture_output=True, check=True).stdout
    a, o = np.frombuffer(audio, np.float32), np.frombuffer(orig, np.float32)
    seg = a[800:8800]  # 0.1..1.1 s of the episode

    def similarity(k):
        w = o[k:k + len(seg)]
        return float(np.dot(seg, w)) / (np.linalg.norm(seg) * np.linalg.norm(w) + 1e-9)

    lag = max(range(0, len(o) - len(seg), 8), key=similarity)
    assert similarity(lag) > 0.9 and abs((lag - 800) / 8000 - 3.0) <= 0.02, (lag - 800) / 8000


def _ff():
    from verticalize.media import ffmpeg_exe

    return [ffmpeg_exe()]


def test_rotated_clip_is_framed_like_the_same_clip_stored_upright(src, tmp_path):
    portrait = tmp_path / "portrait.mp4"
    ffmpeg("-i", str(src), "-vf", "transpose=2", *X264, "-c:a", "copy", str(portrait))
    rotated = tmp_path / "rotated.mp4"  # phone footage: stored portrait, shown landscape by its display matrix
    ffmpeg("-display_rotation", "-90", "-i", str(portrait), "-c", "copy", str(rotated))
    upright = tmp_path / "upright.mp4"  # the same pixels with the rotation applied (lossless)
    ffmpeg("-i", str(rotated), "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", "-c:a", "copy", str(upright))
    a, b = _analyze(rotated), _analyze(upright)
    assert (a.source["width"], a.source["height"], a.source["rotation"]) == (320, 180, 270)
    assert (a.source["coded_width"], a.source["coded_height"]) == (180, 320)
    for k in "xywh":
        assert np.abs(np.array(a.crop[k]) - np.array(b.crop[k])).max() <= 2, k
    got = read_frames(_render(a, tmp_path / "a"), [30, 150], 90, 160)
    want = read_frames(_render(b, tmp_path / "b"), [30, 150], 90, 160)
    for i in (30, 150):  # upright, not sideways
        assert np.abs(got[i].astype(float) - want[i].astype(float)).mean() < 4


def test_edit_list_start_counts_only_the_frames_shown(src, tmp_path):
    trimmed = tmp_path / "trimmed.mp4"  # a stream copy from 1.5 s: an edit list hides the first 45 frames
    ffmpeg("-ss", "1.5", "-i", str(src), "-c", "copy", str(trimmed))
    shown = count_decoded(trimmed)
    assert shown < 180 and probe(trimmed).frame_count == shown
    plan = _analyze(trimmed)
    assert len(plan.crop["x"]) == shown
    assert count_frames(_render(plan, tmp_path / "out")) == shown


def count_decoded(path) -> int:
    out = subprocess.run([*_ff(), "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framecrc", "-"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


def test_non_square_pixels_are_framed_in_display_geometry(src, tmp_path):
    anamorphic = tmp_path / "anamorphic.mp4"  # 240x180 stored, 4:3 pixels: shown 320x180
    ffmpeg("-i", str(src), "-vf", "scale=240:180,setsar=4/3", *X264, "-c:a", "copy", str(anamorphic))
    info = probe(anamorphic)
    assert (info.width, info.height, info.sar) == (320, 180, Fraction(4, 3))
    plan = _analyze(anamorphic)
    assert plan.source["width"] == 320 and plan.source["sar"] == "4/3"
    assert (plan.crop["w"][0], plan.crop["h"][0]) == (102, 180)  # 9:16 of the displayed 320x180 (even)
    square = tmp_path / "square.mp4"
    ffmpeg("-i", str(anamorphic), "-vf", "scale=320:180,setsar=1", "-c:v", "libx264", "-qp", "0", "-preset",
           "ultrafast", "-c:a", "copy", str(square))
    ref = _analyze(square)
    assert np.abs(np.array(plan.crop["x"]) - np.array(ref.crop["x"])).max() <= 4
    ref.crop = plan.crop  # the same windows: only the pixel aspect differs between the two renders
    got = read_frames(_render(plan, tmp_path / "a"), [100], 90, 160)[100].astype(float)
    want = read_frames(_render(ref, tmp_path / "b"), [100], 90, 160)[100].astype(float)
    assert np.abs(got - want).mean() < 4  # not squeezed: the anamorphic source is shown 4:3 wider


def test_interlaced_and_ten_bit_sources_are_analysed_and_rendered(src, tmp_path):
    interlaced = tmp_path / "interlaced.mp4"
    ffmpeg("-i", str(src), "-vf", "tinterlace=interleave_top,fieldorder=tff", "-flags", "+ildct+ilme", *X264,
           "-c:a", "copy", str(interlaced))
    plan = _analyze(interlaced)
    assert plan.source["deinterlace"] == "bwdif"
    assert count_frames(_render(plan, tmp_path / "i")) == plan.source["frame_count"]
    hdr = tmp_path / "hdr10.mp4"
    ffmpeg("-i", str(src), "-pix_fmt", "yuv420p10le", *X264, "-color_primaries", "bt2020", "-color_trc",
           "smpte2084", "-colorspace", "bt2020nc", "-c:a", "copy", str(hdr))
    plan = _analyze(hdr)
    out = _render(plan, tmp_path / "h")
    assert count_frames(out) == 180 and read_frames(out, [90], 90, 160)[90].mean() > 20


def test_cut_short_file_is_still_refused_in_one_line(src, tmp_path):
    mkv = tmp_path / "whole.mkv"
    ffmpeg("-i", str(src), "-c", "copy", str(mkv))
    data = mkv.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.mkv: truncated or corrupt: only \d+ of about 180 frames"):
        probe(cut)


def test_audio_that_outlasts_the_picture_is_accepted(src, tmp_path, caplog):
    longer = tmp_path / "longer.mp4"  # 6 s of picture, 12 s of sound
    ffmpeg("-i", str(src), "-f", "lavfi", "-i", "sine=f=440:d=12", "-map", "0:v", "-map", "1:a", "-c:v", "copy",
           "-c:a", "aac", str(longer))
    info = probe(longer)
    assert info.frame_count == 180
    assert any("holds 180 frames" in r.getMessage() for r in caplog.records)
    json.dumps(_analyze(longer).source)


@pytest.mark.parametrize("kind, pad, box", [
    ("letterbox", "scale=320:136,pad=320:180:0:22", (0, 22, 320, 158)),
    ("pillarbox", "scale=240:180,pad=320:180:40:0", (40, 0, 280, 180)),
])
def test_bars_stay_out_of_every_crop_window(src, tmp_path, kind, pad, box):
    barred = tmp_path / f"{kind}.mp4"
    ffmpeg("-i", str(src), "-vf", pad, *X264, "-c:a", "copy", str(barred))
    plan = _analyze(barred)
    active = plan.source["active"]
    assert all(abs(a - b) <= 2 for a, b in zip(active, box)) and all(
        a >= b if k < 2 else a <= b for k, (a, b) in enumerate(zip(active, box))), active  # inside the picture
    x0, y0, x1, y1 = active
    windows = list(zip(plan.crop["x"], plan.crop["y"], plan.crop["w"], plan.crop["h"]))
    assert all(x >= x0 and y >= y0 and x + w <= x1 and y + h <= y1 for x, y, w, h in windows)
    # what the viewer gets has no black band at its edges: a cropped frame's, or the picture's inside
    # a pad frame (the pad shows the active picture, scaled to the output's width, centred)
    out = read_frames(_render(plan, tmp_path / "out"), [20, 100, 170], 90, 160)
    for f, frame in out.items():
        shot = next(s for s in plan.shots if s["start"] <= f < s["end"])
        if shot["mode"] == "pad":
            h = round(90 * (y1 - y0) / (x1 - x0))
            frame = frame[(160 - h) // 2 + 1:(160 + h) // 2 - 1]
        edges = [frame[:3], frame[-3:], frame[:, :3], frame[:, -3:]]
        assert min(e.mean() for e in edges) > 12, (f, shot["mode"], [round(e.mean()) for e in edges])


def test_a_title_wider_than_the_crop_is_shown_whole(src, tmp_path):
    from subtitles import fonts_dir

    font = fonts_dir() / "NotoSans[wdth,wght].ttf"
    titled = tmp_path / "titled.mp4"  # a title card on black for 3 s, then the picture
    ffmpeg("-f", "lavfi", "-i", "color=black:s=320x180:r=30:d=3", "-i", str(src), "-filter_complex",
           f"[0:v]drawtext=fontfile='{font}':text='THE BLENDER FOUNDATION':fontcolor=white:fontsize=18:"
           "x=(w-text_w)/2:y=(h-text_h)/2[t];[t][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", *X264, str(titled))
    plan = _analyze(titled)
    title = next(s for s in plan.shots if s["end"] <= 95)
    assert title["mode"] == "pad" and title["text"], title  # the title is wider than the 9:16 window
    x0, x1 = min(b[0] for b in title["text"]), max(b[2] for b in title["text"])
    assert x1 - x0 > plan.crop["w"][200]
    frame = read_frames(_render(plan, tmp_path / "out"), [45], 180, 320)[45]
    # pad: the whole 320-px picture at 180 px across: the title spans most of the output's width
    lit = np.where((frame[140:180] > 200).all(axis=2).any(axis=0))[0]
    assert lit.min() < 40 and lit.max() > 140, (lit.min(), lit.max())


def test_a_stream_copy_cut_keeps_its_frame_rate(tmp_path):
    """A 30 fps film cut by stream copy loses the B-frames after its last reference frame: the last
    step between timestamps is 4 frames long. The rate stays 30 (the average over the stream gave
    28962/967), and every other frame keeps its time."""
    from verticalize.media.probe import frame_times

    src, cut = tmp_path / "src.mp4", tmp_path / "cut.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=64x36:r=30:d=62", "-c:v", "libx264", "-preset", "veryfast", "-bf", "3",
           "-g", "60", str(src))
    ffmpeg("-i", str(src), "-t", "60.3", "-c", "copy", str(cut))
    info = probe(cut)
    assert info.fps == 30
    times = frame_times(info)
    assert times[-1] - times[-2] == Fraction(4, 30)  # the cut's gap, kept as it is
    assert all(t == Fraction(i, 30) for i, t in enumerate(times[:-1]))


def test_a_still_image_track_before_the_picture_is_passed_over(src, tmp_path):
    still = tmp_path / "poster.png"
    ffmpeg("-f", "lavfi", "-i", "color=red:s=180x320", "-frames:v", "1", str(still))
    mkv = tmp_path / "poster_first.mkv"  # a poster track as video stream 0, the film as stream 1
    ffmpeg("-i", str(still), "-i", str(src), "-map", "0", "-map", "1", "-c", "copy", str(mkv))
    info = probe(mkv)
    assert (info.video_stream, info.codec, info.width, info.height, info.frame_count) == (1, "h264", 320, 180, 180)
    plan, ref = _analyze(mkv), _analyze(src)
    assert plan.source["video_stream"] == 1 and "video_stream" not in ref.source
    assert max(abs(a - b) for a, b in zip(plan.crop["x"], ref.crop["x"])) <= 2
    got = read_frames(_render(plan, tmp_path / "a"), [30, 150], 90, 160)
    want = read_frames(_render(ref, tmp_path / "b"), [30, 150], 90, 160)
    for k in (30, 150):
        assert np.abs(got[k].astype(float) - want[k]).mean() < 3  # the film, not the red poster


def test_audio_with_only_a_cover_picture_is_refused_in_one_line(src, tmp_path):
    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=blue:s=300x300", "-frames:v", "1", str(cover))
    song = tmp_path / "song.m4a"
    ffmpeg("-i", str(src), "-i", str(cover), "-map", "0:a", "-map", "1", "-c", "copy", "-disposition:v", "attached_pic",
           str(song))
    proc = subprocess.run([sys.executable, "-m", "verticalize", "analyze", str(song), "-o", str(tmp_path / "p.json")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0 and not (tmp_path / "p.json").exists()
    assert proc.stderr.strip().splitlines() == [f"verticalize: error: {song}: no video stream (audio with a cover picture)"]
