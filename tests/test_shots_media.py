"""Shot detection on real encoded files: per-frame timestamps of variable-frame-rate input, and
``detect_scenes`` (what ``verticalize scenes`` runs) end to end on small clips built with ffmpeg.
"""
from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest

from verticalize.analysis import detect_scenes
from verticalize.media import ffmpeg_exe, frame_times, probe
from edit.shots import SceneScan, ShotDetector

W, H = 192, 108


def _photo_frames(name, n, pan=1.0):
    import skimage.data

    img = np.asarray(getattr(skimage.data, name)(), np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, 2)
    img = img[..., :3]
    out = []
    for k in range(n):
        x0 = 10 + pan * k
        xs = np.clip((x0 + np.arange(W) * 300 / W).astype(int), 0, img.shape[1] - 1)
        ys = np.clip((40 + np.arange(H) * 300 / W).astype(int), 0, img.shape[0] - 1)
        out.append(img[ys][:, xs])
    return out


def encode(path, frames, vf=None, extra=()):
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{W}x{H}", "-framerate", "30", "-i", "-"]
    if vf:
        cmd += ["-vf", vf]
    cmd += [*extra, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", str(path)]
    data = b"".join(np.clip(f + 0.5, 0, 255).astype(np.uint8).tobytes() for f in frames)
    subprocess.run(cmd, input=data, check=True)
    return path


# 30 fps, then 24 fps, then 60 fps: exact ticks of 1/120 s
SEGMENTS = [(0, 30), (40, 24), (70, 60)]


def vfr_truth(n):
    times, t = [], Fraction(0)
    for i in range(n):
        fps = [f for s, f in SEGMENTS if s <= i][-1]
        times.append(t)
        t += Fraction(1, fps)
    return times


def vfr_filter(n):
    times = vfr_truth(n)
    expr = "0"
    for s, f in SEGMENTS:
        expr = f"if(gte(N,{s}),{int(times[s] * 120)}+(N-{s})*{120 // f},{expr})"
    return f"settb=1/120,setpts='{expr}'"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("shots_media")
    a, b, c = _photo_frames("astronaut", 45), _photo_frames("coffee", 45, -1), _photo_frames("rocket", 40, 0.5)
    mix = [(1 - (j + 1) / 13) * b[-1] + (j + 1) / 13 * c[0] for j in range(12)]
    frames = a + b + mix + c                    # cut at 45, dissolve [90, 102)
    n = len(frames)
    vfr = encode(d / "vfr.mp4", frames, vfr_filter(n),
                 ["-fps_mode", "passthrough", "-enc_time_base:v", "1/120", "-video_track_timescale", "120"])
    cfr = encode(d / "cfr.mp4", frames)
    mkv = encode(d / "cfr_ms.mkv", frames)      # 1/1000 s time base: 33 and 34 ms steps, still CFR
    return {"vfr": vfr, "cfr": cfr, "mkv": mkv, "n": n}


def test_vfr_is_detected_and_frame_times_are_exact(clips):
    info = probe(clips["vfr"])
    assert info.vfr is True and info.frame_count == clips["n"]
    assert frame_times(info) == vfr_truth(clips["n"])


def test_cfr_is_not_vfr_even_with_rounded_timestamps(clips):
    for key in ("cfr", "mkv"):
        info = probe(clips[key])
        assert info.vfr is False, key
        assert info.fps == 30
        times = frame_times(info)
        assert len(times) == clips["n"]
        assert all(abs(t - Fraction(i, 30)) <= Fraction(1, 1000) for i, t in enumerate(times)), key


def test_detect_scenes_finds_cut_and_dissolve(clips):
    fps, cuts, n = detect_scenes(clips["cfr"])
    assert (fps, n) == (30, clips["n"])
    scan = detect_scenes(clips["cfr"], details=True)
    assert isinstance(scan, SceneScan)
    assert scan.cuts == cuts
    assert cuts[0] == 45 and len(cuts) == 2
    (s, e), = scan.transitions
    assert abs(s - 90) <= 1 and abs(e - 102) <= 1 and cuts[1] == (s + e) // 2
    assert scan.vfr is False and scan.times is None and scan.time_of(45) == Fraction(3, 2)


def test_shot_options_reach_the_detector(clips):
    """Every shot threshold of the options table is the detector's: here the longest transition."""
    from verticalize.options import DEFAULTS

    scan = detect_scenes(clips["cfr"], DEFAULTS.with_(shot_max_transition_s=0.0), details=True)
    assert scan.transitions == [] and 45 in scan.cuts  # no dissolve can be found; the hard cut still is
    values = dict(shot_max_transition_s=1.5, shot_gradual_min_delta=9.0, shot_gradual_residual=0.2,
                  shot_gradual_residual_motion=0.4, shot_gradual_outside=0.5, shot_gradual_max_correlation=0.8,
                  shot_flash_tolerance=0.2)
    det = ShotDetector.from_options(30.0, DEFAULTS.with_(**values))
    got = {k: getattr(det, k.removeprefix("shot_")) for k in values if k != "shot_max_transition_s"}
    assert got == {k: v for k, v in values.items() if k != "shot_max_transition_s"}


def test_stream_without_timestamps_is_scanned_in_full(clips, tmp_path):
    """An elementary H.264 stream has no packet timestamps: the fast scan raises NoTimestamps and the
    analysis falls back to decoding every frame, with the same cuts."""
    from verticalize.errors import NoTimestamps
    from verticalize.media import decode_indexed

    raw = tmp_path / "cfr.h264"  # with B-frames the demuxer cannot make up presentation times
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(clips["cfr"]), "-c:v", "libx264", "-preset", "fast",
                    "-bf", "2", "-crf", "18", "-f", "h264", str(raw)], check=True)
    info = probe(raw)
    with pytest.raises(NoTimestamps):
        next(decode_indexed(info, 64, 36, skip="bidir"))
    scan = detect_scenes(raw, details=True)
    assert scan.cuts[0] == 45 and len(scan.transitions) == 1


def test_detect_scenes_times_on_vfr(clips):
    scan = detect_scenes(clips["vfr"], details=True)
    truth = vfr_truth(clips["n"])
    assert scan.vfr and scan.times == truth
    assert scan.cuts[0] == 45 and scan.time_of(45) == truth[45] != Fraction(45, 30)
    assert len(scan.transitions) == 1


def test_fast_scan_cuts_are_exact_when_cuts_fall_on_skipped_frames(tmp_path):
    """Without scene-cut I-frames, cuts land on B-frames the fast scan skips: re-decoded, still exact."""
    names = ["astronaut", "coffee", "rocket", "chelsea", "hubble_deep_field", "camera"]
    lengths = [31, 22, 27, 25, 29, 30]
    frames = []
    for name, n in zip(names, lengths):
        frames += _photo_frames(name, n, 0.7)
    truth = list(np.cumsum(lengths)[:-1])
    clip = encode(tmp_path / "nosc.mp4", frames, extra=["-x264-params", "scenecut=0:bframes=3:b-pyramid=normal",
                                                        "-g", "300"])
    fps, cuts, n = detect_scenes(clip)
    assert n == len(frames)
    assert cuts == truth
    assert detect_scenes(clip, fast=False)[1] == truth
    # MPEG-TS (coarse seeking, a start offset) and a raw H.264 stream (no timestamps at all)
    ts, raw = tmp_path / "nosc.ts", tmp_path / "nosc.h264"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(clip), "-c", "copy", str(ts)], check=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(clip), "-c", "copy", "-bsf:v", "h264_mp4toannexb",
                    str(raw)], check=True)
    for path in (ts, raw):
        info = probe(path)
        assert info.vfr is False and info.frame_count == len(frames), path
        assert detect_scenes(path)[1] == truth, path


def test_parallel_chunks_match_one_sequential_decode(tmp_path):
    """Keyframe-aligned chunks decoded side by side give the same frames as one pass (MP4 and MPEG-TS)."""
    from verticalize.media import decode_indexed, decode_indexed_parallel

    frames = []
    for name, n in (("astronaut", 50), ("coffee", 40), ("rocket", 50), ("chelsea", 40)):
        frames += _photo_frames(name, n, 0.6)
    mp4 = encode(tmp_path / "gop.mp4", frames, extra=["-g", "24"])
    ts = tmp_path / "gop.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(mp4), "-c", "copy", str(ts)], check=True)
    for path in (mp4, ts):
        info = probe(path)
        one = [(i, f.copy()) for i, f in decode_indexed(info, 64, 36, skip="bidir")]
        many = list(decode_indexed_parallel(info, 64, 36, skip="bidir", workers=2, chunk_s=1.0))
        assert [i for i, _ in many] == [i for i, _ in one], path
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(one, many)), path
        assert detect_scenes(path)[1] == [50, 90, 140], path


def test_decode_span_starts_on_the_frame_asked_for_and_names_one_it_cannot_reach(tmp_path):
    """A span that starts mid-GOP comes back as exactly its frames, equal to a full decode's (MP4 and
    MPEG-TS, whose seeks are coarse); a span past the end raises one line naming the frame."""
    from verticalize.errors import InputError
    from verticalize.media import decode_indexed, decode_span

    frames = _photo_frames("astronaut", 40, 0.6) + _photo_frames("coffee", 40, 0.6)
    mp4 = encode(tmp_path / "gop.mp4", frames, extra=["-g", "24"])
    ts = tmp_path / "gop.ts"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(mp4), "-c", "copy", str(ts)], check=True)
    for path in (mp4, ts):
        info = probe(path)
        every = {i: f.copy() for i, f in decode_indexed(info, 64, 36)}
        for first, last in ((0, 5), (30, 41), (48, 48), (73, 79)):
            got = [(i, f.copy()) for i, f in decode_span(info, 64, 36, first, last)]
            assert [i for i, _ in got] == list(range(first, last + 1)), (path, first)
            assert all(np.array_equal(f, every[i]) for i, f in got), (path, first)
        with pytest.raises(InputError, match="cannot reach frame 500"):
            list(decode_span(info, 64, 36, 500, 510))


def test_cut_gap_names_the_skipped_frames_around_a_cut():
    from verticalize.analysis import cut_gap

    decoded = [0, 3, 4, 8, 9, 12]
    assert cut_gap(decoded, 4, 14) is None        # 3 and 4 both decoded: exact already
    assert cut_gap(decoded, 8, 14) == (4, 8)      # somewhere in 5..8
    assert cut_gap(decoded, 12, 14) == (9, 12)
    assert cut_gap(decoded[:4], 8, 14) == (4, 8)  # the same gap while the scan is still at frame 8
