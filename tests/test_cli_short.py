"""The CLI's halves and single-file commands on the 30-second sample."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edit.plan import read_plan
from media_helpers import count_frames, stream_lines

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def short():
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), "--name", "short"], check=True)
    return {"video": SAMPLES / "short.mp4", "truth": json.loads((SAMPLES / "short.truth.json").read_text()),
            "subs": SAMPLES / "subs" / "short.en.srt"}


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "edit.cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_help_lists_every_command():
    out = cli("--help")
    for cmd in ("run", "analyze", "render", "scenes", "reframe"):
        assert cmd in out


def test_scenes_json_matches_truth(short):
    result = json.loads(cli("scenes", short["video"], "--json"))
    assert result["fps"] == "30/1"
    truth = short["truth"]["cuts"]
    assert len(result["cuts"]) == len(truth)
    assert all(abs(a - b) <= 1 for a, b in zip(result["cuts"], truth))


def test_analyze_then_render_halves(short, tmp_path):
    plan_path = tmp_path / "plan.json"
    cli("analyze", short["video"], "-o", plan_path, "--episode-min", "8", "--episode-max", "16",
        "--subs", f"en={short['subs']}", "--size", "180x320")
    plan = read_plan(plan_path)
    assert plan.subtitles == {"en": str(short["subs"].resolve())}
    assert len(plan.episodes) >= 2
    cuts = set(plan.cuts)
    for ep in plan.episodes[:-1]:
        assert 8 * 30 <= ep["end"] - ep["start"] <= 16 * 30 and ep["end"] in cuts
    cli("render", plan_path, "-o", tmp_path / "out", "--episode", "2", "--preset", "superfast")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["ep002.en.mp4", "ep002.en.srt", "manifest.json"]
    ep = plan.episodes[1]
    assert count_frames(tmp_path / "out" / "ep002.en.mp4") == ep["end"] - ep["start"]


def test_reframe_one_file(short, tmp_path):
    out = tmp_path / "vertical.mp4"
    cli("reframe", short["video"], "-o", out, "--size", "216x384", "--preset", "superfast")
    assert "216x384" in stream_lines(out)
    assert count_frames(out) == short["truth"]["frame_count"]
    assert [p.name for p in tmp_path.iterdir()] == ["vertical.mp4"]
