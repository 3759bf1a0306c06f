"""Variable-frame-rate sources: the plan keeps every frame's exact timestamp, and the
renderer cuts, crops and times subtitles by those timestamps, not by index / fps.

The clip runs at 30, then 24, then 60 fps (exact 1/120 s ticks), each frame
carrying its index as a 9-bit barcode, so every output frame can be named.
"""
from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest

from verticalize.analysis import analyze
from verticalize.options import DEFAULTS
from verticalize.media import ffmpeg_exe, probe
from verticalize.render import RenderTask, render_episode
from verticalize.plan import read_plan, write_plan

W, H, N = 320, 180, 150
SEGMENTS = [(0, 30), (40, 24), (80, 60)]   # (first frame, fps)
BITS = 9


def truth_times(n=N):
    times, t = [], Fraction(0)
    for i in range(n):
        times.append(t)
        t += Fraction(1, [f for s, f in SEGMENTS if s <= i][-1])
    return times


def barcode_frame(k: int) -> np.ndarray:
    f = np.full((H, W, 3), 90, np.uint8)
    f[:, :100] = (40 + k, 120, 200 - k)   # some colour that changes, for the encoder
    for b in range(BITS):                 # bit b of k: a block at x 140..180, rows 20b..20b+20
        f[b * 20:(b + 1) * 20, 140:180] = 255 if k >> b & 1 else 0
    return f


def read_barcodes(path, w, h) -> list[int]:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray",
                          "-fps_mode", "passthrough", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w)
    # output x = (source x - 110) * w / 100: the barcode's middle is at source x 160 -> 50 % of the width
    out = []
    for f in frames:
        bits = [f[int((b + 0.5) * h / BITS), w // 2] > 128 for b in range(BITS)]
        out.append(sum(1 << b for b, on in enumerate(bits) if on))
    return out


def frame_pts_s(path) -> list[Fraction]:
    text = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framecrc", "-"],
                          capture_output=True, text=True, check=True).stdout
    tb = Fraction(next(l for l in text.splitlines() if l.startswith("#tb 0:")).split(":", 1)[1].strip())
    return [int(l.split(",")[2]) * tb for l in text.splitlines() if l and not l.startswith("#")]


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("vfr")
    times = truth_times()
    expr = "0"
    for s, f in SEGMENTS:
        expr = f"if(gte(N,{s}),{int(times[s] * 120)}+(N-{s})*{120 // f},{expr})"
    path = d / "vfr.mp4"
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
           "-framerate", "30", "-i", "-", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=6",
           "-vf", f"settb=1/120,setpts='{expr}'", "-fps_mode", "passthrough", "-enc_time_base:v", "1/120",
           "-video_track_timescale", "120", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    data = b"".join(barcode_frame(k).tobytes() for k in range(N))
    subprocess.run(cmd, input=data, check=True)
    srt = d / "vfr.en.srt"

    def ms(t):
        s = round(t * 1000)
        return f"00:00:{s // 1000:02d},{s % 1000:03d}"
    srt.write_text(f"1\n{ms(times[60])} --> {ms(times[90])}\nHello there\n\n", encoding="utf-8")
    return path, srt, times


def test_plan_keeps_exact_timestamps_and_render_cuts_crops_and_times_by_them(vfr_clip, tmp_path):
    path, srt, times = vfr_clip
    info = probe(path)
    assert info.vfr and info.frame_count == N
    opts = DEFAULTS.with_(width=180, height=320, episodes=False, preset="superfast")
    plan = analyze(path, {"en": str(srt)}, opts)
    assert plan.vfr
    tb = Fraction(plan.source["time_base"])
    assert [p * tb for p in plan.source["frame_pts"]] == times
    for shot in plan.shots:          # a fixed window, so the barcode sits in the middle of the output
        shot["hint"] = "center"
    start = 50                       # a 24 fps frame: index / nominal fps would be wrong by many frames
    plan.episodes = [{"index": 1, "start": 0, "end": start, "score": 0.0, "reasons": []},
                     {"index": 2, "start": start, "end": N, "score": 0.0, "reasons": []}]
    write_plan(plan, tmp_path / "plan.json")
    plan = read_plan(tmp_path / "plan.json")
    out = tmp_path / "ep002.en.mp4"
    entry = render_episode(plan, RenderTask(2, "en", out), opts)
    assert read_barcodes(out, 180, 320) == list(range(start, N))          # every frame once, in order
    got = frame_pts_s(out)
    want = [t - times[start] for t in times[start:N]]
    assert max(abs(float(g - w)) for g, w in zip(got, want)) < 0.001      # the source's own timing
    assert entry["duration_s"] == pytest.approx(float(times[N - 1] + Fraction(1, 60) - times[start]), abs=1e-6)
    # the cue shows from source frame 60 to 90: exactly those frames' times in the episode
    srt_text = (tmp_path / "ep002.en.srt").read_text(encoding="utf-8")
    first, last = round(1000 * (times[60] - times[start])), round(1000 * (times[90] - times[start]))
    assert f"00:00:00,{first:03d} --> 00:00:01,{last - 1000:03d}" in srt_text


def test_nominal_index_times_would_have_missed_the_frame(vfr_clip):
    # the reason for all this: frame 50 starts at 50/30 - 10/30 + 10/24 s, not 50 / fps
    _, _, times = vfr_clip
    info = probe(vfr_clip[0])
    assert abs(float(times[50] - Fraction(50) / info.fps)) * float(info.fps) > 0.5


def test_a_pad_shot_keeps_every_frame_at_its_own_time(vfr_clip, tmp_path):
    # the pad shot runs as its own chain, joined by concat, which guesses a run's start from the
    # mean spacing of the run before: the frames are put back at their own times
    path, srt, times = vfr_clip
    opts = DEFAULTS.with_(width=180, height=320, episodes=False, preset="superfast")
    plan = analyze(path, {"en": str(srt)}, opts)
    proto = {k: v for k, v in plan.shots[0].items() if k not in ("hint", "mode")}
    pad = (70, 100)                  # across the change from 24 to 60 fps at frame 80
    plan.shots = [{**proto, "start": 0, "end": pad[0], "hint": "center"},
                  {**proto, "start": pad[0], "end": pad[1], "mode": "pad"},
                  {**proto, "start": pad[1], "end": N, "hint": "center"}]
    start = 50
    plan.episodes = [{"index": 1, "start": 0, "end": start, "score": 0.0, "reasons": []},
                     {"index": 2, "start": start, "end": N, "score": 0.0, "reasons": []}]
    write_plan(plan, tmp_path / "plan.json")
    plan = read_plan(tmp_path / "plan.json")
    out = tmp_path / "ep002.en.mp4"
    render_episode(plan, RenderTask(2, "en", out), opts)
    got = frame_pts_s(out)
    want = [t - times[start] for t in times[start:N]]
    assert len(got) == len(want)
    assert max(abs(float(g - w)) for g, w in zip(got, want)) < 1e-4       # the source's own timing
    codes = read_barcodes(out, 180, 320)
    outside = [k for k in range(start, N) if not pad[0] <= k < pad[1]]
    assert [codes[k - start] for k in outside] == outside                  # cropped frames in place
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "gray",
                          "-fps_mode", "passthrough", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 320, 180)
    assert len(frames) == N - start
    for k in range(start, N):        # top left: the source's flat grey (90) when cropped, the dim fill when padded
        off = np.abs(frames[k - start, :80, :40].astype(float) - 90).mean()
        assert (off > 20) if pad[0] <= k < pad[1] else (off < 5), (k, off)


def test_a_recap_and_its_episode_keep_their_frames_times(vfr_clip, tmp_path):
    # the recap and the episode are two segments joined by concat, each with its audio cut to its
    # exact length: the episode's frames follow the recap's at their own spacing
    path, srt, times = vfr_clip
    opts = DEFAULTS.with_(width=180, height=320, episodes=False, preset="superfast")
    plan = analyze(path, {"en": str(srt)}, opts)
    for shot in plan.shots:
        shot["hint"] = "center"
    start, recap = 90, (30, 45)      # a 30 -> 24 fps recap before a 60 fps episode
    plan.episodes = [{"index": 1, "start": 0, "end": start, "score": 0.0, "reasons": []},
                     {"index": 2, "start": start, "end": N, "score": 0.0, "reasons": [],
                      "recap": {"start": recap[0], "end": recap[1]}}]
    write_plan(plan, tmp_path / "plan.json")
    plan = read_plan(tmp_path / "plan.json")
    out = tmp_path / "ep002.en.mp4"
    render_episode(plan, RenderTask(2, "en", out), opts)
    frames = list(range(*recap)) + list(range(start, N))
    assert read_barcodes(out, 180, 320) == frames
    lead = times[recap[1]] - times[recap[0]]
    want = [times[k] - times[recap[0]] for k in range(*recap)] + [lead + times[k] - times[start] for k in range(start, N)]
    got = frame_pts_s(out)
    assert len(got) == len(want)
    assert max(abs(float(g - w)) for g, w in zip(got, want)) < 1e-4
