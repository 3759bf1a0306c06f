"""The CLI's halves and single-file commands on the 30-second sample."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verticalize.errors import OptionsError
from verticalize.plan import read_plan
from media_helpers import count_frames, stream_lines

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def short():
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), "--name", "short"], check=True)
    return {"video": SAMPLES / "short.mp4", "truth": json.loads((SAMPLES / "short.truth.json").read_text()),
            "subs": SAMPLES / "subs" / "short.en.srt"}


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "verticalize", *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    # nothing but verticalize's own lines: no mediapipe/TFLite/absl log lines from native code
    foreign = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("verticalize")]
    assert not foreign, foreign[:3]
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
    assert files == ["ep002.en.mp4", "ep002.en.srt", "ep002.en.vtt", "manifest.json"]
    ep = plan.episodes[1]
    assert count_frames(tmp_path / "out" / "ep002.en.mp4") == ep["end"] - ep["start"]


def test_reframe_one_file(short, tmp_path):
    out = tmp_path / "vertical.mp4"
    cli("reframe", short["video"], "-o", out, "--size", "216x384", "--preset", "superfast")
    assert "216x384" in stream_lines(out)
    assert count_frames(out) == short["truth"]["frame_count"]
    assert [p.name for p in tmp_path.iterdir()] == ["vertical.mp4"]


def test_recap_title_card_and_free_episodes(short, tmp_path):
    out = tmp_path / "out"
    cli("run", short["video"], "-o", out, "--episode-min", "8", "--episode-max", "16", "--size", "180x320",
        "--preset", "superfast", "--recap", "2", "--free-episodes", "1", "--title-card",
        "--subs", f"en={short['subs']}", "--platform", "none")
    d = out / "short"
    plan = read_plan(d / "plan.json")
    manifest = json.loads((d / "manifest.json").read_text())
    assert [e["free"] for e in manifest["episodes"]] == [True] + [False] * (len(plan.episodes) - 1)
    ep1, ep2 = plan.episodes[0], plan.episodes[1]
    assert ep2["recap"] == {"start": ep1["end"] - 60, "end": ep1["end"]}
    assert count_frames(d / "ep002.en.mp4") == 60 + ep2["end"] - ep2["start"]
    # the recap's first frame is the previous episode's frame end - 60, before the title card fades in
    from media_helpers import read_frames
    got = read_frames(d / "ep002.en.mp4", [0, 90], 180, 320)
    k = ep1["end"] - ep1["start"] - 60
    refs = read_frames(d / "ep001.en.mp4", [k - 1, k, k + 1], 180, 320)
    band = lambda f: f[120:240].astype(int)  # below the title, above the subtitles
    errors = {j: float(abs(band(got[0]) - band(refs[j])).mean()) for j in refs}
    assert errors[k] < 4, errors  # (frame-exact trims are tested on coded frames in test_render)
    # "Episode 2" is burned in the upper third early on, and gone later
    early = read_frames(d / "ep002.en.mp4", [30], 180, 320)[30]
    bright_top = lambda f: int((f[40:110] > 235).all(axis=2).sum())
    assert bright_top(early) > 40 and bright_top(got[90]) < bright_top(early)
    assert (d / "ep002.en.vtt").is_file()


def test_market_preset_sets_lengths(short, tmp_path):
    from verticalize.cli import build_parser
    from verticalize.cli.run import options_from_args
    parser, _ = build_parser()
    args = parser.parse_args(["run", "x.mp4", "-o", "o", "--market", "western"])
    opts = options_from_args(args)
    assert (opts.episode_min_s, opts.episode_max_s, opts.first_episode_min_s) == (75.0, 150.0, 110.0)
    args = parser.parse_args(["run", "x.mp4", "-o", "o", "--market", "western", "--episode-max", "100"])
    opts = options_from_args(args)
    assert opts.episode_max_s == 100 and opts.first_episode_min_s == 100


def test_cli_names_the_flag_the_user_typed(tmp_path, capsys):
    """Library errors name options by their field names; the CLI shows the flag that was typed."""
    from verticalize.cli import main
    from verticalize.options import DEFAULTS, with_preset

    with pytest.raises(OptionsError, match=r"^market 'asia': choose one of duanju"):
        with_preset(DEFAULTS, "asia")
    assert main(["analyze", "x.mp4", "-o", str(tmp_path / "p.json"), "--market", "asia"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("verticalize: error: --market 'asia': choose one of duanju") and "--preset" not in err
    assert main(["analyze", "x.mp4", "-o", str(tmp_path / "p.json"), "--episode-min", "90",
                 "--episode-max", "60"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "verticalize: error: --episode-min (90 s) is longer than --episode-max (60 s)"
    assert err.count("\n") == 0
