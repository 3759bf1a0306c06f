"""Bad input: one line on stderr naming the file and the problem, exit 2, no traceback, no output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from media_helpers import ffmpeg

CLI = [sys.executable, "-m", "verticalize"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    good = d / "good.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3", "-f", "lavfi", "-i", "sine=d=3",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(good))
    faststart = d / "faststart.mp4"
    ffmpeg("-i", str(good), "-c", "copy", "-movflags", "+faststart", str(faststart))
    data = good.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (d / "truncated_faststart.mp4").write_bytes(faststart.read_bytes()[: len(data) // 2])
    (d / "notes.mp4").write_text("these are my notes, not a video\n" * 20)
    audio = d / "audio.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(audio))
    (d / "notsubs.srt").write_text("Dear diary,\nthis is not a subtitle file.\n")
    (d / "binary.srt").write_bytes(bytes(range(256)) * 8)
    return d


def run_cli(*args, cwd=None):
    env = dict(os.environ)
    env.pop("VERTICALIZE_DEBUG", None)
    return subprocess.run(CLI + list(args), capture_output=True, text=True, cwd=cwd or ROOT, env=env)


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("name, problem", [
    ("missing.mp4", "no such file"),
    ("notes.mp4", "not a video file"),
    ("truncated.mp4", "truncated"),
    ("truncated_faststart.mp4", "truncated"),
    ("audio.mp4", "no video stream"),
])
def test_bad_video_input(media, tmp_path, name, problem):
    out = tmp_path / "out"
    proc = run_cli("run", str(media / name), "-o", str(out))
    assert_one_line_error(proc, name, problem)
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize("subs, problem", [("notsubs.srt", "not a subtitle"), ("binary.srt", "not a subtitle"),
                                           ("nope.srt", "no such")])
def test_bad_subtitles(media, tmp_path, subs, problem):
    out = tmp_path / "out"
    proc = run_cli("run", str(media / "good.mp4"), "-o", str(out), "--subs", f"en={media / subs}")
    assert_one_line_error(proc, subs)
    assert problem in proc.stderr.lower()
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize("size", ["abc", "1080", "0x1920", "1081x1920", "99999x1920", "-2x4"])
def test_bad_size(media, tmp_path, size):
    out = tmp_path / "out"
    proc = run_cli("run", str(media / "good.mp4"), "-o", str(out), f"--size={size}")
    assert_one_line_error(proc, "size")
    assert not out.exists()


def test_impossible_episode_lengths(media, tmp_path):
    proc = run_cli("run", str(media / "good.mp4"), "-o", str(tmp_path / "o"), "--episode-min", "90",
                   "--episode-max", "60")
    assert_one_line_error(proc, "--episode-min")


def test_debug_env_reraises(media, tmp_path):
    env = dict(os.environ, VERTICALIZE_DEBUG="1")
    proc = subprocess.run(CLI + ["scenes", str(media / "notes.mp4")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "InputError" in proc.stderr


def test_render_rejects_bad_plan(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"schema": "something/else"}')
    proc = run_cli("render", str(plan), "-o", str(tmp_path / "o"))
    assert_one_line_error(proc, "plan.json", "schema")
