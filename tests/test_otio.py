"""Editor round trips through OpenTimelineIO: export, edit the timeline as an editor would, import, render."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from verticalize.cli import main
from verticalize.media import probe
from verticalize.otio import EDITED_REASON, export_otio, import_otio, plan_to_timeline, timeline_to_plan
from verticalize.plan import Plan, crop_size_for, read_plan, write_plan
from media_helpers import count_frames, ffmpeg

NTSC = Fraction(30000, 1001)
RECAP_FRAMES = 15  # round(0.5 s * 30000/1001)


def synthetic_plan(path: str, n: int, width: int, height: int, fps: Fraction, has_audio: bool,
                   recap_s: float = 0.0) -> Plan:
    """Four shots (static, pan, track with a hint, pad) and three equal episodes over ``n`` frames."""
    cw, ch = crop_size_for(width, height, 180, 320)
    y0 = (height - ch) // 2
    b = [0, n * 5 // 18, n * 11 // 18, n * 15 // 18, n]
    x = [0] * b[1] + [round((width - cw) * k / (b[2] - b[1] - 1)) for k in range(b[2] - b[1])] \
        + [(width - cw) // 2 + (k // 5) % 3 for k in range(b[3] - b[2])] + [0] * (n - b[3])
    crop = {"x": x, "y": [y0] * n, "w": [cw] * n, "h": [ch] * n}
    crop["y"][b[3]:], crop["w"][b[3]:], crop["h"][b[3]:] = [0] * (n - b[3]), [width] * (n - b[3]), [height] * (n - b[3])
    shots = [{"start": s, "end": e, "mode": m} for s, e, m in zip(b, b[1:], ("static", "pan", "track", "pad"))]
    shots[2]["hint"] = "left"
    e = [0, n // 3, 2 * n // 3, n]
    episodes = [{"index": i + 1, "start": s, "end": t, "score": round(1.5 - 0.25 * i, 3),
                 "reasons": [{"feature": "question", "value": 1.0}] if i < 2 else []}
                for i, (s, t) in enumerate(zip(e, e[1:]))]
    recap = int(round(Fraction(recap_s) * fps))
    for prev, ep in zip(episodes, episodes[1:]):
        if recap:
            ep["recap"] = {"start": prev["end"] - recap, "end": prev["end"]}
    return Plan(source={"path": path, "width": width, "height": height, "fps": f"{fps.numerator}/{fps.denominator}",
                        "frame_count": n, "has_audio": has_audio},
                target={"width": 180, "height": 320}, shots=shots, crop=crop, episodes=episodes,
                subtitles={}, extras={"recap_s": recap_s, "free_episodes": 0, "title_card": False},
                transitions=[], analysis={"note": "synthetic"})


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """6 s of testsrc2 with a tone, 320x180 at 30000/1001 fps: 180 frames."""
    path = tmp_path_factory.mktemp("otio_src") / "scene.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30000/1001", "-f", "lavfi",
           "-i", "sine=frequency=440:sample_rate=48000", "-frames:v", "180", "-t", "6.006", "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def plan_file(source: Path, folder: Path, recap_s: float = 0.0) -> Path:
    info = probe(source)
    assert (info.fps, info.frame_count) == (NTSC, 180)
    path = folder / "plan.json"
    write_plan(synthetic_plan(str(source), info.frame_count, info.width, info.height, info.fps, info.has_audio,
                              recap_s), path)
    return path


def cli(capsys, *args) -> str:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def cli_error(capsys, *args) -> str:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def episode_clips(timeline) -> list:
    (track,) = timeline.video_tracks()
    return [c for c in track if isinstance(c, otio.schema.Clip)]


def test_round_trip_without_edits_is_identical(source, tmp_path, capsys):
    plan_path = plan_file(source, tmp_path, recap_s=0.5)
    timeline_path = tmp_path / "edit.otio"
    assert "3 episodes" in cli(capsys, "export", plan_path, "--otio", timeline_path)
    back = tmp_path / "back.json"
    cli(capsys, "import", timeline_path, "-o", back)
    assert back.read_bytes() == plan_path.read_bytes()

    plan = read_plan(plan_path)
    timeline = otio.adapters.read_from_file(str(timeline_path))
    meta = timeline.metadata["verticalize"]
    assert (meta["plan_schema"], meta["fps"], meta["frame_count"]) == ("verticalize.plan/1", "30000/1001", 180)
    assert dict(meta["target"]) == {"width": 180, "height": 320} and list(meta["subtitle_languages"]) == []
    clips = episode_clips(timeline)
    assert [c.name for c in clips] == ["Episode 1", "Episode 2", "Episode 3"]
    for clip, ep in zip(clips, plan.episodes):
        r = clip.source_range
        assert r.start_time.rate == r.duration.rate == float(NTSC)
        assert (r.start_time.value, r.duration.value) == (ep["start"], ep["end"] - ep["start"])
        ref = clip.media_reference
        assert ref.target_url == str(source)
        assert (ref.available_range.start_time.value, ref.available_range.duration.value) == (0, 180)
        vmeta = clip.metadata["verticalize"]
        assert vmeta["episode"]["index"] == ep["index"] and vmeta["episode"]["score"] == ep["score"]
        assert ("recap" in vmeta["episode"]) == ("recap" in ep)
        keys = [list(k) for k in vmeta["crop_keyframes"]]
        assert keys[0] == [ep["start"]] + [plan.crop[c][ep["start"]] for c in "xywh"]
        for f, x, y, w, h in keys:  # a keyframe where the window changes, and nowhere else
            assert (x, y, w, h) == tuple(plan.crop[c][f] for c in "xywh")
        changes = sum(1 for f in range(ep["start"] + 1, ep["end"])
                      if any(plan.crop[c][f] != plan.crop[c][f - 1] for c in "xywh"))
        assert len(keys) == 1 + changes < ep["end"] - ep["start"]
    assert dict(clips[1].metadata["verticalize"]["episode"]["recap"]) == {"start": 45, "end": 60}
    markers = [(m.metadata["verticalize"]["shot"], m.metadata["verticalize"]["mode"],
                m.metadata["verticalize"].get("hint")) for c in clips for m in c.markers]
    assert markers == [(1, "static", None), (2, "pan", None), (2, "pan", None), (3, "track", "left"),
                       (3, "track", "left"), (4, "pad", None)]


def test_ntsc_rate_round_trips_exactly_over_two_hours():
    n = 215784  # 2 hours at 30000/1001
    plan = synthetic_plan("/films/long.mov", n, 320, 180, NTSC, False)
    bounds = [0, 71927, 143857, n]
    for ep, s, e in zip(plan.episodes, bounds, bounds[1:]):
        ep["start"], ep["end"] = s, e
    timeline = plan_to_timeline(plan)
    for clip, s, e in zip(episode_clips(timeline), bounds, bounds[1:]):
        r = clip.source_range
        assert r.start_time.to_frames() == s and r.end_time_exclusive().to_frames() == e
        assert r.start_time.to_seconds() == pytest.approx(float(s / NTSC), abs=1e-9)
    text = otio.adapters.write_to_string(timeline, "otio_json")
    again = timeline_to_plan(otio.adapters.read_from_string(text, "otio_json"))
    assert again.to_json() == plan.to_json()


@pytest.mark.parametrize("rate", [29.97, 1.0, 60000 / 1001])
def test_times_rewritten_at_another_rate_land_on_the_same_frames(rate):
    """Editors may store 29.97 for 30000/1001, seconds, or a doubled rate: whole frames all the same."""
    plan = synthetic_plan("/films/scene.mov", 180, 320, 180, NTSC, False)
    timeline = plan_to_timeline(plan)
    for clip, ep in zip(episode_clips(timeline), plan.episodes):
        s, e = ep["start"], ep["end"]
        to = (lambda f: f) if rate == 29.97 else (lambda f: f * 1001 / 30000) if rate == 1.0 else (lambda f: 2 * f)
        clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(to(s), rate),
                                                     otio.opentime.RationalTime(to(e - s), rate))
    text = otio.adapters.write_to_string(timeline, "otio_json")
    assert timeline_to_plan(otio.adapters.read_from_string(text, "otio_json")).to_json() == plan.to_json()


def test_moved_cut_point_renders_the_new_lengths(source, tmp_path, capsys):
    plan_path = plan_file(source, tmp_path)
    timeline_path = tmp_path / "edit.otio"
    cli(capsys, "export", plan_path, "--otio", timeline_path)
    # an editor drags the cut between episodes 1 and 2 30 frames earlier, then saves
    timeline = otio.adapters.read_from_file(str(timeline_path))
    c1, c2, _ = episode_clips(timeline)
    rate = c1.source_range.start_time.rate
    c1.source_range = otio.opentime.TimeRange(c1.source_range.start_time, otio.opentime.RationalTime(30, rate))
    c2.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(30, rate), otio.opentime.RationalTime(90, rate))
    edited = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(edited))
    new_plan = tmp_path / "new.json"
    assert "2 changed" in cli(capsys, "import", edited, "-o", new_plan)
    plan, old = read_plan(new_plan), read_plan(plan_path)
    assert [(e["start"], e["end"]) for e in plan.episodes] == [(0, 30), (30, 120), (120, 180)]
    assert plan.episodes[0]["reasons"] == [EDITED_REASON] and plan.episodes[0]["score"] == 0.0
    assert plan.episodes[1:] == [dict(old.episodes[1], start=30), old.episodes[2]]  # hooks at kept ends stay
    assert (plan.shots, plan.crop) == (old.shots, old.crop)
    out = tmp_path / "out"
    cli(capsys, "render", new_plan, "-o", out, "--preset", "superfast", "--episode", "1", "--episode", "2")
    assert count_frames(out / "ep001.mp4") == 30
    assert count_frames(out / "ep002.mp4") == 90


def test_deleted_and_trimmed_episodes_renumber_and_render(source, tmp_path, capsys):
    plan_path = plan_file(source, tmp_path, recap_s=0.5)
    timeline_path = tmp_path / "edit.otio"
    cli(capsys, "export", plan_path, "--otio", timeline_path)
    timeline = otio.adapters.read_from_file(str(timeline_path))
    (track,) = timeline.video_tracks()
    _, c2, c3 = episode_clips(timeline)
    track.remove(c2)  # ripple delete of episode 2
    r = c3.source_range  # and episode 3 loses its last half second
    c3.source_range = otio.opentime.TimeRange(r.start_time, otio.opentime.RationalTime(r.duration.value - 15, r.duration.rate))
    edited = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(edited))
    new_plan = tmp_path / "new.json"
    cli(capsys, "import", edited, "-o", new_plan)
    plan = read_plan(new_plan)
    assert [(e["index"], e["start"], e["end"]) for e in plan.episodes] == [(1, 0, 60), (2, 120, 165)]
    assert plan.episodes[1]["recap"] == {"start": 60 - RECAP_FRAMES, "end": 60}  # from the episode now before it
    out = tmp_path / "out"
    cli(capsys, "render", new_plan, "-o", out, "--preset", "superfast")
    assert sorted(p.name for p in out.iterdir()) == ["ep001.mp4", "ep002.mp4", "manifest.json"]
    assert count_frames(out / "ep001.mp4") == 60
    assert count_frames(out / "ep002.mp4") == RECAP_FRAMES + 45


def test_lifted_clip_leaves_a_gap_and_split_clip_makes_two_episodes(source, tmp_path):
    plan_path = plan_file(source, tmp_path, recap_s=0.5)
    timeline = plan_to_timeline(read_plan(plan_path))
    (track,) = timeline.video_tracks()
    c1, c2, c3 = episode_clips(timeline)
    rate = c1.source_range.start_time.rate
    track[track.index(c2)] = otio.schema.Gap(source_range=c2.source_range)  # lift: a gap where episode 2 was
    tail = c3.deepcopy()  # blade through episode 3 at frame 150
    c3.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(120, rate), otio.opentime.RationalTime(30, rate))
    tail.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(150, rate), otio.opentime.RationalTime(30, rate))
    track.append(tail)
    path = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(path))
    plan = import_otio(path)
    assert [(e["start"], e["end"]) for e in plan.episodes] == [(0, 60), (120, 150), (150, 180)]
    assert [e.get("recap") for e in plan.episodes] == [None, {"start": 45, "end": 60}, {"start": 135, "end": 150}]
    out = tmp_path / "again.json"
    write_plan(plan, out)
    assert read_plan(out).to_json() == plan.to_json()
    export_otio(plan, tmp_path / "again.otio")  # gaps reappear where frames are left out
    (track,) = otio.adapters.read_from_file(str(tmp_path / "again.otio")).video_tracks()
    assert [type(i).__name__ for i in track] == ["Clip", "Gap", "Clip", "Clip"]
    assert import_otio(tmp_path / "again.otio").to_json() == plan.to_json()


def test_disabled_clip_is_left_out(source, tmp_path):
    timeline = plan_to_timeline(read_plan(plan_file(source, tmp_path)))
    episode_clips(timeline)[1].enabled = False
    path = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(path))
    assert [(e["index"], e["start"], e["end"]) for e in import_otio(path).episodes] == [(1, 0, 60), (2, 120, 180)]


def test_timeline_without_metadata_imports_with_the_original_plan(source, tmp_path, capsys):
    plan_path = plan_file(source, tmp_path)
    timeline = plan_to_timeline(read_plan(plan_path))
    timeline.metadata.clear()  # an editor that keeps only names and ranges
    for clip in episode_clips(timeline):
        clip.metadata.clear()
        clip.media_reference.target_url = "file:///Volumes/media/" + source.name
    path = tmp_path / "bare.otio"
    otio.adapters.write_to_file(timeline, str(path))
    err = cli_error(capsys, "import", path, "-o", tmp_path / "x.json")
    assert "bare.otio" in err and "no verticalize metadata" in err and not (tmp_path / "x.json").exists()
    cli(capsys, "import", path, "-o", tmp_path / "x.json", "--plan", plan_path)
    assert (tmp_path / "x.json").read_bytes() == plan_path.read_bytes()


def _edit(timeline, clip: int, start: float | None = None, duration: float | None = None):
    c = episode_clips(timeline)[clip]
    r = c.source_range
    rate = r.start_time.rate
    c.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(r.start_time.value if start is None else start, rate),
        otio.opentime.RationalTime(r.duration.value if duration is None else duration, rate))


def _swap(timeline):
    (track,) = timeline.video_tracks()
    track.insert(1, track.pop(0))


@pytest.mark.parametrize("edit, words", [
    (lambda t: _edit(t, 1, start=50), ["'Episode 1'", "'Episode 2'", "overlap"]),
    (lambda t: _edit(t, 2, duration=90), ["'Episode 3'", "[120, 210)", "outside the source", "[0, 180)"]),
    (lambda t: _edit(t, 1, start=60.5), ["'Episode 2'", "60.5", "not a whole frame", "30000/1001"]),
    (_swap, ["'Episode 1'", "earlier frames", "source order"]),
    (lambda t: episode_clips(t)[0].effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0)),
     ["'Episode 1'", "changes speed"]),
    (lambda t: setattr(episode_clips(t)[2].media_reference, "target_url", "/x/other.mov"),
     ["'Episode 3'", "plays other.mov", "scene.mp4"]),
])
def test_bad_edits_fail_with_one_line(source, tmp_path, capsys, edit, words):
    timeline = plan_to_timeline(read_plan(plan_file(source, tmp_path)))
    edit(timeline)
    path = tmp_path / "edited.otio"
    otio.adapters.write_to_file(timeline, str(path))
    err = cli_error(capsys, "import", path, "-o", tmp_path / "new.json")
    assert "edited.otio" in err
    for w in words:
        assert w in err
    assert not (tmp_path / "new.json").exists()


@pytest.mark.parametrize("content, words", [
    ("not a timeline at all\n", ["not an OpenTimelineIO timeline"]),
    (json.dumps({"OTIO_SCHEMA": "Clip.2", "name": "x"}), ["not an OpenTimelineIO timeline"]),
    (otio.adapters.write_to_string(otio.schema.Timeline(name="other"), "otio_json"), ["no verticalize metadata"]),
    (None, ["no such timeline file"]),
])
def test_unusable_files_fail_with_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "in.otio"
    if content is not None:
        path.write_text(content)
    err = cli_error(capsys, "import", path, "-o", tmp_path / "new.json")
    assert err.startswith("verticalize: error: ") and str(path) in err
    for w in words:
        assert w in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if content is None else ["in.otio"])


def test_export_wants_an_otio_name(source, tmp_path, capsys):
    plan_path = plan_file(source, tmp_path)
    err = cli_error(capsys, "export", plan_path, "--otio", tmp_path / "t.xml")
    assert "t.xml" in err and ".otio" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
