"""samples/make_long.py and bench/e2e.py on tiny inputs: the long film's structure is what its truth says,
and the end-to-end bench measures what it claims (no timings are asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT / "bench"))

import make_long  # noqa: E402

from verticalize.media import ffmpeg_exe, probe  # noqa: E402


@pytest.fixture(scope="module")
def tiny_long(tmp_path_factory):
    """Two 18-s blocks and a 6-s tail, 256x144: the long film's structure in seconds."""
    out = tmp_path_factory.mktemp("long")
    truth = make_long.build(0.7, 0.3, out, "tiny", preset="ultrafast", size=(256, 144))
    return out, truth


def _gray_frames(path: Path, w: int, h: int) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w).astype(np.float32)


def _audio(path: Path, rate: int = 8000) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def test_frames_blocks_and_cuts_match_the_truth(tiny_long):
    out, truth = tiny_long
    info = probe(out / "tiny.mp4")
    assert (info.width, info.height, info.fps) == (256, 144, 30)
    assert info.frame_count == truth["frames"] == 1260
    assert truth["blocks"] == 3 and truth["block_frames"] == 540
    # the repeated block's cuts recur one block later, and every block boundary is a cut
    first = [c for c in truth["cuts"] if c < 540]
    assert first and [c + 540 for c in first] == [c for c in truth["cuts"] if 540 < c < 1080]
    assert {540, 1080} <= set(truth["cuts"])
    # a hard cut: the picture changes more across it than between any two frames inside the shots next to it
    frames = _gray_frames(out / "tiny.mp4", 256, 144)
    assert len(frames) == 1260
    diff = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))  # diff[i]: frame i -> i + 1
    inside = np.ones(len(diff), bool)
    inside[[c - 1 for c in truth["cuts"]]] = False
    for c in truth["cuts"]:
        lo, hi = max(0, c - 30), min(len(diff), c + 30)
        assert diff[c - 1] > 3 * np.percentile(diff[lo:hi][inside[lo:hi]], 90), f"cut at frame {c} is not a hard cut"


def test_cues_are_speech_and_no_cue_spans_a_cut(tiny_long):
    out, truth = tiny_long
    cuts = truth["cuts"]
    assert truth["cues"], "no dialogue"
    for cue in truth["cues"]:
        assert not any(cue["start"] < c < cue["end"] for c in cuts)
        assert cue["end_ms"] == cue["end"] * 1000 // 30
    srt = (out / "tiny.en.srt").read_text(encoding="utf-8")
    assert srt.count(" --> ") == len(truth["cues"])
    assert truth["cues"][0]["text"] in srt
    audio = _audio(out / "tiny.mp4")
    rate = 8000
    speech = np.zeros(len(audio), bool)
    for s, e in truth["speech"]:
        speech[s * rate // 30: e * rate // 30] = True
    sting = np.zeros(len(audio), bool)
    for c in truth["question_cuts"]:
        sting[(c * rate // 30) - rate: c * rate // 30] = True
    quiet = ~speech & ~sting
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))  # noqa: E731
    assert rms(audio[speech]) > 4 * rms(audio[quiet])


def test_a_short_film_is_the_long_films_first_block():
    short, long = make_long.schedule(3000), make_long.schedule(9000)
    assert len(short) > 3 and short[:-1] == long[: len(short) - 1]
    assert short[-1]["end"] == 3000 and long[-1]["end"] == 9000


def test_e2e_bench_measures_every_step(tiny_long, tmp_path):
    import e2e

    out, truth = tiny_long
    report = tmp_path / "e2e.json"
    assert e2e.main([
        "--input", str(out / "tiny.mp4"), "--subs", f"en={out / 'tiny.en.srt'}", "--size", "144x256",
        "--preset", "ultrafast", "--jobs", "2", "--no-warmup", "--json", str(report)]) == 0
    r = json.loads(report.read_text())
    assert set(r["steps"]) == {"decode", "analyze", "floor", "split", "run"}
    assert r["frames"] == 1260 and r["size"] == [144, 256]
    for step in r["steps"].values():
        assert step["wall_s"] > 0 and step["cpu_s"] > 0
        assert step["peak_rss_tree_mb"] >= step["peak_rss_process_mb"] > 1
    assert r["files"] >= 1  # episodes x languages, the same for split and run
