"""One ffmpeg process per episode for all its languages: the same bytes as one process per
language, at most ``encoders_per_process`` encoders per process, and farm tasks grouped by episode."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from verticalize.options import DEFAULTS
from verticalize.media import probe
from verticalize.plan import Plan, write_plan
from verticalize.render import RenderTask, episode_tasks, render, render_episode, render_groups, render_outputs
from media_helpers import count_frames, ffmpeg

W, H, N = 320, 180, 60
LANGS = ("en", "es", "ar", "ja", "de")
LINES = {"en": "Who is there?", "es": "¿Quién está ahí?", "ar": "من هناك؟", "ja": "誰かいるの？", "de": "Wer ist da?"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s at 320x180, 30 fps, two 1 s shots and a tone; one cue per language over both shots."""
    d = tmp_path_factory.mktemp("split")
    path = d / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=30:d=1", "-f", "lavfi", "-i", f"smptebars=s={W}x{H}:r=30:d=1",
           "-f", "lavfi", "-i", f"sine=f=440:d={N / 30}", "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]",
           "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path))
    subs = {}
    for lang in LANGS:
        p = d / f"clip.{lang}.srt"
        p.write_text(f"1\n00:00:00,200 --> 00:00:01,700\n{LINES[lang]}\n", encoding="utf-8")
        subs[lang] = str(p)
    return path, subs


def make_plan(path, subs, episodes, title_card=True) -> Plan:
    info = probe(path)
    n = info.frame_count
    xs = [min(220, 3 * i) for i in range(n)]  # a moving crop: every frame its own window
    return Plan(
        source={"path": str(path), "width": info.width, "height": info.height, "fps": "30/1",
                "frame_count": n, "has_audio": True},
        target={"width": 90, "height": 160},
        shots=[{"start": 0, "end": 30, "mode": "track"}, {"start": 30, "end": n, "mode": "pad"}],
        crop={"x": xs, "y": [0] * n, "w": [100] * n, "h": [180] * n},
        episodes=[{"index": i + 1, "start": s, "end": e, "score": 0.0, "reasons": []}
                  for i, (s, e) in enumerate(episodes)],
        subtitles=dict(subs), extras={"title_card": title_card})


def _md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def test_split_render_gives_the_bytes_of_one_render_per_language(clip, tmp_path):
    path, subs = clip
    plan = make_plan(path, subs, [(0, 20), (20, N)])
    plan.episodes[1]["recap"] = {"start": 10, "end": 20}  # a recap: two segments joined before the split
    opts = DEFAULTS.with_(preset="superfast")
    langs = ["en", "es", "ar"]
    alone = {lang: render_episode(plan, RenderTask(2, lang, tmp_path / "alone" / f"ep002.{lang}.mp4"), opts)
             for lang in langs}
    together = render_outputs(plan, [RenderTask(2, lang, tmp_path / "split" / f"ep002.{lang}.mp4") for lang in langs],
                              opts)
    assert [e["lang"] for e in together] == langs
    digests = set()
    for lang, entry in zip(langs, together):
        a, b = tmp_path / "alone" / f"ep002.{lang}.mp4", tmp_path / "split" / f"ep002.{lang}.mp4"
        assert count_frames(b) == N - 20 + 10 == entry["frames"]
        assert _md5(a) == _md5(b), lang  # byte for byte
        for sidecar in (".srt", ".vtt"):
            assert a.with_suffix(sidecar).read_bytes() == b.with_suffix(sidecar).read_bytes()
        assert entry == {**alone[lang], "video": b.name}
        digests.add(_md5(b))
    assert len(digests) == len(langs)  # each language has its own subtitles burned in
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == sorted(
        f"ep002.{lang}{ext}" for lang in langs for ext in (".mp4", ".srt", ".vtt"))  # no temporary file left


def test_encoders_per_process_bounds_each_ffmpeg(clip, tmp_path, monkeypatch):
    import verticalize.media.encode as encode

    path, subs = clip
    plan = make_plan(path, subs, [(0, N)], title_card=False)
    runs = []
    real_run = encode.run

    def counting_run(args, **kw):
        runs.append(sorted(Path(a).name.split(".")[2] for a in args if str(a).endswith(".tmp")))
        return real_run(args, **kw)

    monkeypatch.setattr(encode, "run", counting_run)
    manifest = render(plan, tmp_path, DEFAULTS.with_(preset="ultrafast", encoders_per_process=2, jobs=1))
    runs = [r for r in runs if r]  # the loudness measurements are audio-only ffmpeg runs that write no file
    assert sorted(runs) == [["ar", "ja"], ["de"], ["en", "es"]]  # 5 languages in plan order, 2 per process: 3 processes
    outputs = manifest["episodes"][0]["outputs"]
    assert [o["lang"] for o in outputs] == list(LANGS)  # the plan's order, as before
    assert all(count_frames(tmp_path / o["video"]) == N for o in outputs)


def test_render_groups_keep_episodes_apart_and_order():
    plan = Plan(source={"path": "x.mp4", "width": 320, "height": 180, "fps": "30/1", "frame_count": 90},
                target={"width": 90, "height": 160}, shots=[], crop={},
                episodes=[{"index": 1, "start": 0, "end": 45}, {"index": 2, "start": 45, "end": 90}],
                subtitles={lang: f"{lang}.srt" for lang in ("en", "es", "ja")})
    tasks = episode_tasks(plan, Path("/out"))
    groups = render_groups(tasks, 2)
    assert [[(t.episode, t.lang) for t in g] for g in groups] == [
        [(1, "en"), (1, "es")], [(1, "ja")], [(2, "en"), (2, "es")], [(2, "ja")]]
    assert [len(g) for g in render_groups(tasks, 5)] == [3, 3]
    assert [len(g) for g in render_groups(tasks, 1)] == [1] * 6


def test_tasks_group_by_episode_unless_per_language(clip, tmp_path):
    from verticalize.tasks import task_list

    path, subs = clip
    plan = make_plan(path, {k: subs[k] for k in ("en", "es", "ja")}, [(0, 20), (20, N)])
    write_plan(plan, tmp_path / "plan.json")
    out = tmp_path / "farm"
    grouped = task_list(tmp_path / "plan.json", out)
    assert [(t["episode"], t["langs"]) for t in grouped] == [(1, ["en", "es", "ja"]), (2, ["en", "es", "ja"])]
    assert grouped[1]["outputs"] == [str(out / f"ep002.{lang}.mp4") for lang in ("en", "es", "ja")]
    cmd = grouped[1]["command"]
    assert cmd[cmd.index("--episode") + 1] == "2" and [cmd[i + 1] for i, a in enumerate(cmd) if a == "--lang"] == [
        "en", "es", "ja"]
    assert cmd[cmd.index("--encoders-per-process") + 1] == "3"
    assert cmd[cmd.index("--x264-threads") + 1] == str(DEFAULTS.x264_threads)  # the bytes depend on it
    assert task_list(tmp_path / "plan.json", out, {"x264_threads": 1})[0]["command"][cmd.index("--x264-threads") + 1] == "1"
    bounded = task_list(tmp_path / "plan.json", out, encoders_per_process=2)
    assert [(t["episode"], t["langs"]) for t in bounded] == [(1, ["en", "es"]), (1, ["ja"]), (2, ["en", "es"]),
                                                            (2, ["ja"])]
    single = task_list(tmp_path / "plan.json", out, per_language=True)
    assert [(t["episode"], t["lang"], t["langs"]) for t in single] == [
        (e, lang, [lang]) for e in (1, 2) for lang in ("en", "es", "ja")]
    assert all("--encoders-per-process" not in t["command"] and t["frames"] == (20 if t["episode"] == 1 else N - 20)
               for t in single)
    assert json.loads(json.dumps(grouped)) == grouped


def test_encoders_per_process_below_one_is_one_line_naming_the_flag(clip, tmp_path, capsys):
    from verticalize.cli import main

    path, subs = clip
    write_plan(make_plan(path, subs, [(0, N)]), tmp_path / "plan.json")
    assert main(["render", str(tmp_path / "plan.json"), "-o", str(tmp_path / "o"), "--encoders-per-process", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["verticalize: error: --encoders-per-process 0 must be at least 1"]
    assert not (tmp_path / "o").exists()
