"""Delivery audio: loudness of every output (measured by ffmpeg ebur128 on the files), dubs
cut at the same frames as the picture in every episode, and audio tracks tagged by language."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from media_helpers import ffmpeg, stream_lines
from verticalize.dub import attach_dubs
from verticalize.errors import InputError
from verticalize.media import ffmpeg_exe, probe
from verticalize.media.compare import audio_loudness
from verticalize.options import DEFAULTS
from verticalize.plan import Plan
from verticalize.render import render

OPTS = DEFAULTS.with_(preset="ultrafast", jobs=2)
CLICKS = [10, 40, 61, 100, 130, 170]  # source frames with a click (30 fps)


def clicks(frames, lead_s=0.0) -> str:
    """aevalsrc expression: a 4 ms burst at each frame's start (plus ``lead_s``)."""
    return "+".join(f"0.9*between(t,{lead_s + f / 30:.6f},{lead_s + f / 30 + 0.004:.6f})" for f in frames)


def clip(path, audio: str, seconds: float = 6, codec: str = "aac"):
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=30:d={seconds}", "-f", "lavfi", "-i", audio,
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", codec, "-shortest", str(path))
    return path


def plan_for(path, bounds) -> Plan:
    n = probe(path).frame_count
    return Plan(source={"path": str(path), "width": 320, "height": 180, "fps": "30/1", "frame_count": n,
                        "has_audio": True},
                target={"width": 180, "height": 320}, shots=[{"start": 0, "end": n, "mode": "track"}],
                crop={"x": [0] * n, "y": [0] * n, "w": [100] * n, "h": [180] * n},
                episodes=[{"index": i + 1, "start": s, "end": min(e, n), "score": 0.0, "reasons": []}
                          for i, (s, e) in enumerate(bounds)])


def onsets_in_frames(path, stream: int = 0) -> list[float]:
    """Where each click starts in ``path``'s audio stream, in output frames (30 fps)."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", f"0:a:{stream}", "-ac", "1",
                          "-ar", "48000", "-f", "f32le", "-"], capture_output=True, check=True).stdout
    x = np.abs(np.frombuffer(raw, np.float32))
    found: list[int] = []
    for i in np.flatnonzero(x > 0.5 * x.max()):
        if not found or i - found[-1] > 4800:  # a new click, not the same one
            found.append(int(i))
    return [i / 48000 * 30 for i in found]


@pytest.mark.parametrize("name,audio,codec", [
    ("quiet", "sine=f=440:d=4,volume=-45dB", "aac"),                               # about -48 LUFS
    ("loud", "anoisesrc=d=4:c=pink:a=0.9,volume=3dB", "aac"),                     # over 0 dBTP
    ("clipped", "sine=f=220:d=4,volume=30dB,aformat=sample_fmts=s16", "pcm_s16le"),  # a square wave at full scale
])
def test_every_output_lands_on_the_loudness_target(tmp_path, name, audio, codec):
    src = clip(tmp_path / f"{name}.{'mov' if codec.startswith('pcm') else 'mp4'}", audio, 4, codec)
    before = audio_loudness(src)
    render(plan_for(src, [(0, 60), (60, 120)]), tmp_path / "out", OPTS)
    for ep in ("ep001.mp4", "ep002.mp4"):
        m = audio_loudness(tmp_path / "out" / ep)
        assert abs(m.integrated_lufs - -14.0) <= 0.5, (name, before, m)
        assert m.true_peak_dbtp <= -1.0, (name, before, m)


def test_loudness_target_and_off(tmp_path):
    src = clip(tmp_path / "speechlike.mp4", "sine=f=300:d=4,volume=-20dB")
    render(plan_for(src, [(0, 120)]), tmp_path / "t23", OPTS.with_(loudness_lufs=-23.0))
    m = audio_loudness(tmp_path / "t23" / "ep001.mp4")
    assert abs(m.integrated_lufs - -23.0) <= 0.5 and m.true_peak_dbtp <= -1.0, m
    render(plan_for(src, [(0, 120)]), tmp_path / "off", OPTS.with_(normalize_loudness=False))
    assert abs(audio_loudness(tmp_path / "off" / "ep001.mp4").integrated_lufs - audio_loudness(src).integrated_lufs) < 0.5


def test_dub_plays_at_the_same_frames_as_the_picture_in_every_episode(tmp_path):
    src = clip(tmp_path / "film.mp4", f"aevalsrc='{clicks(CLICKS)}':s=48000:d=6")
    dub = tmp_path / "film.es.wav"  # the same clicks after a 0.5 s lead-in, at 44.1 kHz
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{clicks(CLICKS, 0.5)}':s=44100:d=6.5", str(dub))
    bounds = [(0, 50), (50, 117), (117, 180)]
    plan = plan_for(src, bounds)
    with pytest.raises(InputError, match=r"film\.es\.wav: dub es lasts 6\.500 s but the film 6\.000 s"):
        attach_dubs(plan_for(src, bounds), {"es": dub})
    attach_dubs(plan, {"es": dub}, {"es": 0.5})
    m = render(plan, tmp_path / "out", OPTS.with_(audio_tracks="all"))
    assert [o["video"] for e in m["episodes"] for o in e["outputs"]] == ["ep001.es.mp4", "ep002.es.mp4", "ep003.es.mp4"]
    for (s, e), name in zip(bounds, ("ep001.es.mp4", "ep002.es.mp4", "ep003.es.mp4")):
        want = [f - s for f in CLICKS if s <= f < e]
        for stream in (0, 1):  # the original first, then the dub
            got = onsets_in_frames(tmp_path / "out" / name, stream)
            assert len(got) == len(want) and all(abs(g - w) <= 1 for g, w in zip(got, want)), (name, stream, got, want)
    info = stream_lines(tmp_path / "out" / "ep002.es.mp4")
    assert "Audio: aac" in info and "(spa)" in info and info.count("Audio:") == 2
    entry = m["episodes"][0]["outputs"][0]
    assert [a["dub"] for a in entry["audio"]] == [None, "film.es.wav"] and entry["audio"][1]["lang"] == "es"
    # one track: the dub only
    render(plan, tmp_path / "one", OPTS, episodes=[2])
    assert stream_lines(tmp_path / "one" / "ep002.es.mp4").count("Audio:") == 1
    assert [round(g) for g in onsets_in_frames(tmp_path / "one" / "ep002.es.mp4")] == [11, 50]


def test_cli_run_with_a_dub_records_it_and_a_wrong_length_fails_in_one_line(tmp_path):
    import json
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    src = clip(tmp_path / "film.mp4", f"aevalsrc='{clicks(CLICKS)}':s=48000:d=6")
    dub = tmp_path / "film.pt.m4a"  # the clicks over a quiet bed, as a mix has
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{clicks(CLICKS)}+0.03*sin(2*PI*200*t)':s=48000:d=6", "-c:a", "aac", str(dub))
    short = tmp_path / "short.pt.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=300:d=5", str(short))
    base = [sys.executable, "-m", "verticalize", "run", str(src), "--no-episodes", "--size", "180x320",
            "--preset", "ultrafast"]
    bad = subprocess.run(base + ["-o", str(tmp_path / "bad"), "--dub", f"pt={short}"], capture_output=True,
                         text=True, cwd=root)
    assert bad.returncode != 0
    assert "short.pt.wav: dub pt lasts 5.000 s but the film 6.000 s" in bad.stderr and "Traceback" not in bad.stderr
    ok = subprocess.run(base + ["-o", str(tmp_path / "ok"), "--dub", f"pt={dub}", "--loudness", "-16"],
                        capture_output=True, text=True, cwd=root)
    assert ok.returncode == 0, ok.stderr
    folder = tmp_path / "ok" / "film"
    plan = json.loads((folder / "plan.json").read_text())
    assert plan["dubs"] == {"pt": {"path": str(dub.resolve()), "offset_s": "0"}}
    manifest = json.loads((folder / "manifest.json").read_text())
    names = [o["video"] for ep in manifest["episodes"] for o in ep["outputs"]]
    assert names == ["ep001.pt.mp4"]  # like --subs: each language its own file
    assert manifest["episodes"][0]["outputs"][0]["audio"][0]["dub"] == "film.pt.m4a"
    for name in names:
        m = audio_loudness(folder / name)
        assert abs(m.integrated_lufs + 16) <= 0.5 and m.true_peak_dbtp <= -1.0, (name, m)
    assert [round(g) for g in onsets_in_frames(folder / "ep001.pt.mp4")] == CLICKS


def test_silent_audio_is_left_as_it_is_and_said_once(tmp_path, caplog):
    import json

    src = clip(tmp_path / "silent.mp4", "anullsrc=r=48000:cl=stereo:d=4")
    m = render(plan_for(src, [(0, 120)]), tmp_path / "out", OPTS)
    json.dumps(m, allow_nan=False)  # no -inf in the manifest
    assert m["episodes"][0]["outputs"][0]["audio"][0]["gain_db"] is None
    assert sum("silent" in r.getMessage() for r in caplog.records) == 1


def test_verify_reports_loudness_and_fails_outside_the_window(tmp_path):
    from verticalize.plan import write_plan
    from verticalize.verify import DEFAULT_THRESHOLDS, verify

    src = clip(tmp_path / "quiet.mp4", "sine=f=440:d=2,volume=-30dB", seconds=2)  # about -52 LUFS
    plan = plan_for(src, [(0, 60)])
    for name, opts in (("quiet", OPTS.with_(normalize_loudness=False)), ("level", OPTS)):
        render(plan, tmp_path / name, opts)
        write_plan(plan, tmp_path / name / "plan.json")
    bad = verify(tmp_path / "quiet", tmp_path / "quiet")
    lines = [c.line() for c in bad.checks if c.name in ("loudness", "true_peak")]
    assert not bad.ok and any(l.startswith("ep001.mp4: loudness: FAIL: -5") for l in lines), lines
    assert verify(tmp_path / "quiet", tmp_path / "quiet", DEFAULT_THRESHOLDS.with_(no_loudness=True)).ok
    good = verify(tmp_path / "level", tmp_path / "level")
    assert good.ok and {c.name for c in good.checks} >= {"loudness", "true_peak"}, good.failure_lines()
