"""verify against goldens: a real run is the golden; re-renders from edited plans must pass or fail as they should.

One module fixture builds a 6 s 320x180 clip with two hard cuts and three
cues, runs the pipeline once (the golden) and renders four variants from the
golden plan at 180x320 superfast: unchanged, one cut moved 3 frames, one cue
dropped, the crop moved 5 px.
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from verticalize import api
from verticalize.options import DEFAULTS
from verticalize.golden import update_golden
from verticalize.verify import DEFAULT_THRESHOLDS, Thresholds, frame_scores, verify, write_junit
from media_helpers import ffmpeg
from verticalize.errors import InputError, OptionsError

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
OPTS = DEFAULTS.with_(width=180, height=320, preset="superfast", episodes=False, jobs=1)
CUES = [("00:00:00,300", "00:00:01,500", "Hello there."),
        ("00:00:02,300", "00:00:03,400", "Who are you?"),
        ("00:00:04,200", "00:00:05,600", "Nobody at all!")]
VIDEO = "clip/ep001.en.mp4"


def _srt(cues) -> str:
    return "\n".join(f"{i}\n{a} --> {b}\n{t}\n" for i, (a, b, t) in enumerate(cues, 1))


def _render_variant(plan, folder: Path) -> Path:
    api.render(plan, folder / "clip", OPTS)
    api.write_plan(plan, folder / "clip" / "plan.json")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    clip = root / "clip.mp4"
    # three moving shots with fine detail and no burned-in text (testsrc2's labels would make its
    # shots pad): a pan over a photograph, the mandelbrot zoom, a pan over another photograph
    import numpy as np
    from PIL import Image
    from skimage import data

    for name in ("coffee", "chelsea"):
        Image.fromarray(np.asarray(getattr(data, name)())).save(root / f"{name}.png")
    ffmpeg("-loop", "1", "-framerate", "30", "-t", "2", "-i", str(root / "coffee.png"),
           "-f", "lavfi", "-i", "mandelbrot=s=320x180:r=30,trim=duration=2",
           "-loop", "1", "-framerate", "30", "-t", "2", "-i", str(root / "chelsea.png"),
           "-f", "lavfi", "-i", "sine=f=330:d=6",
           "-filter_complex", "[0:v]crop=320:180:'40+t*30':60,setsar=1[a];[2:v]crop=320:180:'20+t*30':40,setsar=1[c];"
                              "[a][1:v][c]concat=n=3:v=1:a=0,format=yuv420p[v]",
           "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-c:a", "aac",
           str(clip))
    srt = root / "clip.en.srt"
    srt.write_text(_srt(CUES))
    api.run([clip], root / "golden", {"en": str(srt)}, OPTS)
    plan = api.read_plan(root / "golden" / "clip" / "plan.json")
    assert plan.cuts == [60, 120], plan.cuts  # the clip's hard cuts, found by the analysis

    _render_variant(plan, root / "same")

    cut = copy.deepcopy(plan)   # the second cut 3 frames later; the moved frames keep the earlier shot's window
    c = plan.cuts[-1]
    cut.shots[-2]["end"] = cut.shots[-1]["start"] = c + 3
    for k in "xywh":
        cut.crop[k][c:c + 3] = [cut.crop[k][c - 1]] * 3
    assert plan.crop["x"][c - 1] != plan.crop["x"][c], "the shots need different windows for the picture to change"
    _render_variant(cut, root / "cut")

    dropped = root / "dropped.en.srt"  # "Who are you?" removed
    dropped.write_text(_srt([CUES[0], CUES[2]]))
    subs = copy.deepcopy(plan)
    subs.subtitles = {"en": str(dropped)}
    _render_variant(subs, root / "subs")

    crop5 = copy.deepcopy(plan)
    W = plan.source["width"]  # 5 px to the right, or to the left where the window is at the right edge
    crop5.crop["x"] = [x + 5 if x + w + 5 <= W else x - 5 for x, w in zip(plan.crop["x"], plan.crop["w"])]
    _render_variant(crop5, root / "crop5")
    return {"root": root, "golden": root / "golden", "plan": plan, "cut_frame": c,
            **{name: root / name for name in ("same", "cut", "subs", "crop5")}}


def _by_name(report):
    return {(c.output, c.name): c for c in report.checks}


def _failed(report):
    return sorted((c.output, c.name) for c in report.failures)


def test_rerender_with_same_settings_passes(runs):
    report = verify(runs["same"], runs["golden"])
    assert report.ok, report.failure_lines()
    checks = _by_name(report)
    for name in ("resolution", "fps", "duration", "audio", "ssim", "psnr"):
        assert checks[(VIDEO, name)].status == "pass"
    for name in ("plan.source", "plan.target", "plan.episodes", "plan.cuts", "plan.shot_modes", "plan.crop"):
        assert checks[("clip/plan.json", name)].status == "pass"
    assert checks[("clip/ep001.en.srt", "subtitles")].value == "3 cues agree"
    assert checks[("clip/ep001.en.vtt", "subtitles")].value == "3 cues agree"
    assert checks[(VIDEO, "duration")].value.startswith("180 frames (6.000 s)")
    scores = frame_scores(runs["same"] / VIDEO, runs["golden"] / VIDEO)
    assert len(scores["ssim"]) == len(scores["psnr"]) == 180
    assert min(scores["ssim"]) >= 0.99 and min(scores["psnr"]) >= 45  # observed: 1.0 and inf (same pixels)
    # the run folder itself, not its parent, gives the same checks under unprefixed names
    single = verify(runs["same"] / "clip", runs["golden"] / "clip")
    assert single.ok and ("ep001.en.mp4", "ssim") in _by_name(single)
    mixed = verify(runs["same"], runs["golden"] / "clip")  # one folder per input against a lone run folder
    assert mixed.ok and set(_by_name(mixed)) == set(_by_name(report))


def test_shifted_cut_fails_plan_and_pixels(runs):
    c = runs["cut_frame"]
    report = verify(runs["cut"], runs["golden"])
    assert not report.ok
    checks = _by_name(report)
    assert checks[("clip/plan.json", "plan.cuts")].status == "fail"
    assert f"frame {c + 3} vs {c}" in checks[("clip/plan.json", "plan.cuts")].value
    assert checks[("clip/plan.json", "plan.crop")].status == "fail"  # the moved frames' window
    ssim = checks[(VIDEO, "ssim")]
    assert ssim.status == "fail"
    assert any(f"(frame {k})" in ssim.value for k in range(c, c + 3)), ssim.value  # worst frame is a moved one
    assert _failed(report) == [("clip/ep001.en.mp4", "psnr"), ("clip/ep001.en.mp4", "ssim"),
                               ("clip/plan.json", "plan.crop"), ("clip/plan.json", "plan.cuts")]
    line = next(l for l in report.failure_lines() if "plan.cuts" in l)
    assert line.startswith("clip/plan.json: plan.cuts: FAIL: 2 cuts; largest shift 3 frames")


def test_cut_moved_in_golden_plan_only_fails_the_plan(runs, tmp_path):
    golden = tmp_path / "golden"
    shutil.copytree(runs["golden"], golden)
    path = golden / "clip" / "plan.json"
    plan = json.loads(path.read_text())
    plan["shots"][1]["start"] -= 2
    plan["shots"][0]["end"] -= 2
    path.write_text(json.dumps(plan))
    report = verify(runs["same"], golden)
    assert _failed(report) == [("clip/plan.json", "plan.cuts")]
    assert "largest shift 2 frames (cut 1: frame 60 vs 58)" in report.failure_lines()[0]
    assert verify(runs["same"], golden, Thresholds(frame_tolerance=2)).ok
    plan["episodes"] = [dict(plan["episodes"][0], end=60), dict(plan["episodes"][0], index=2, start=60)]
    path.write_text(json.dumps(plan))
    episodes = _by_name(verify(runs["same"], golden, Thresholds(frame_tolerance=2)))[("clip/plan.json", "plan.episodes")]
    assert (episodes.status, episodes.value) == ("fail", "1 episodes [[0, 180]] vs 2 in the golden [[0, 60], [60, 180]]")


def test_dropped_subtitle_fails_sidecars_manifest_and_pixels(runs):
    report = verify(runs["subs"], runs["golden"])
    checks = _by_name(report)
    for side in ("clip/ep001.en.srt", "clip/ep001.en.vtt"):
        check = checks[(side, "subtitles")]
        assert check.status == "fail"
        assert check.value.startswith("2 cues vs 3 in the golden; cue 2 at 00:04.200-00:05.600 vs 00:02.300-00:03.400")
    assert checks[("clip/manifest.json", "manifest.outputs")].value == "ep001.en.mp4: 2 cues vs 3"
    # The burned-in line is missing on the cue's frames (69..102): a small area of the picture, so PSNR
    # fires (observed min 32.0 dB) while SSIM stays near its threshold (observed min 0.972).
    psnr = checks[(VIDEO, "psnr")]
    assert psnr.status == "fail" and any(f"(frame {k})" in psnr.value for k in range(69, 103)), psnr.value
    assert set(_failed(report)) - {(VIDEO, "ssim")} == {
        (VIDEO, "psnr"), ("clip/ep001.en.srt", "subtitles"), ("clip/ep001.en.vtt", "subtitles"),
        ("clip/manifest.json", "manifest.outputs")}


def test_cue_removed_from_golden_sidecar_fails_that_sidecar(runs, tmp_path):
    golden = tmp_path / "golden"
    shutil.copytree(runs["golden"], golden)
    srt = golden / "clip" / "ep001.en.srt"
    blocks = srt.read_text().strip().split("\n\n")
    srt.write_text("\n\n".join(blocks[:1] + blocks[2:]) + "\n")
    report = verify(runs["same"], golden)
    assert _failed(report) == [("clip/ep001.en.srt", "subtitles")]
    assert report.failure_lines()[0].startswith("clip/ep001.en.srt: subtitles: FAIL: 3 cues vs 2 in the golden")


def test_five_pixel_crop_offset_fails_plan_and_pixels(runs):
    report = verify(runs["crop5"], runs["golden"])
    checks = _by_name(report)
    x0 = runs["plan"].crop["x"][0]
    assert checks[("clip/plan.json", "plan.crop")].value == f"|dx| 5 px (frame 0: {x0 + 5} vs {x0})"
    assert _failed(report) == [("clip/ep001.en.mp4", "psnr"), ("clip/ep001.en.mp4", "ssim"),
                               ("clip/plan.json", "plan.crop")]
    scores = frame_scores(runs["crop5"] / VIDEO, runs["golden"] / VIDEO)
    # observed: SSIM min 0.60 mean 0.72, PSNR min 15.6 dB mean 17.5 dB; every frame is off
    assert max(scores["ssim"]) < DEFAULT_THRESHOLDS.min_ssim
    assert max(scores["psnr"]) < DEFAULT_THRESHOLDS.min_psnr_db
    loose = Thresholds(min_ssim=0.5, min_psnr_db=10, crop_tolerance_px=5)
    assert verify(runs["crop5"], runs["golden"], loose).ok


def test_missing_and_extra_outputs_fail(runs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(runs["same"], out)
    (out / "clip" / "ep001.en.vtt").unlink()
    shutil.copy(out / "clip" / "ep001.en.mp4", out / "clip" / "ep002.en.mp4")
    (out / "clip" / "notes.txt").write_text("not an output")
    report = verify(out, runs["golden"])
    assert _failed(report) == [("clip/ep001.en.vtt", "exists"), ("clip/ep002.en.mp4", "exists")]
    assert report.failure_lines() == [
        "clip/ep001.en.vtt: exists: FAIL: missing: in the golden, not in the output (want same files)",
        "clip/ep002.en.mp4: exists: FAIL: extra: in the output, not in the golden (want same files)"]
    (out / "clip").rename(out / "other")  # a run folder of another name: one missing, one extra
    assert _failed(verify(out, runs["golden"])) == [("clip", "exists"), ("other", "exists")]


def test_bad_input_raises_one_line(runs, tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        verify(tmp_path / "nope", runs["golden"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no run outputs here"):
        verify(runs["same"], tmp_path / "empty")
    with pytest.raises(OptionsError, match="unknown verify threshold.*min_ssm"):
        DEFAULT_THRESHOLDS.with_(min_ssm=0.9)


# The common JUnit shape (Jenkins' junit.xsd): allowed attributes and children per element.
JUNIT_ATTRS = {
    "testsuites": {"name", "time", "tests", "failures", "disabled", "errors"},
    "testsuite": {"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname",
                  "id", "package", "file", "log", "url", "version"},
    "testcase": {"name", "assertions", "time", "classname", "status", "file", "line"},
    "failure": {"message", "type"}, "error": {"message", "type"}, "skipped": {"message"},
    "system-out": set(), "system-err": set(), "properties": set(), "property": {"name", "value"},
}
JUNIT_CHILDREN = {"testsuites": ("testsuite",), "testsuite": ("properties", "testcase", "system-out", "system-err"),
                  "testcase": ("skipped", "error", "failure", "system-out", "system-err"),
                  "failure": (), "error": (), "skipped": (), "system-out": (), "system-err": ()}


def _assert_junit_shape(element):
    assert set(element.attrib) <= JUNIT_ATTRS[element.tag], (element.tag, element.attrib)
    order = JUNIT_CHILDREN[element.tag]
    ranks = [order.index(child.tag) for child in element]  # ValueError: a child the schema does not allow
    assert ranks == sorted(ranks), (element.tag, [c.tag for c in element])
    for child in element:
        _assert_junit_shape(child)


def test_vmaf_when_asked_and_skipped_without_libvmaf(runs, tmp_path, monkeypatch):
    report = verify(runs["same"], runs["golden"], Thresholds(vmaf=True))
    vmaf = _by_name(report)[(VIDEO, "vmaf")]
    assert report.ok and vmaf.status == "pass" and vmaf.value.endswith("180 frames")  # observed min 97.4
    import verticalize.verify

    monkeypatch.setattr(verticalize.verify, "has_filter", lambda name: False)
    report = verify(runs["same"], runs["golden"], Thresholds(vmaf=True))
    assert report.ok and report.notes == ["VMAF skipped: this ffmpeg has no libvmaf filter"]
    assert _by_name(report)[(VIDEO, "vmaf")].status == "skip"
    write_junit(report, tmp_path / "v.xml")
    root = ET.parse(tmp_path / "v.xml").getroot()
    _assert_junit_shape(root)
    assert root.get("failures") == "0" and sum(int(s.get("skipped")) for s in root.iter("testsuite")) == 1
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert [(c.get("classname"), c.get("name")) for c in skipped] == [(VIDEO, "vmaf")]
    assert "no libvmaf" in "".join(e.text or "" for e in root.iter("system-out"))


def test_junit_xml(runs, tmp_path):
    report = verify(runs["crop5"], runs["golden"])
    path = tmp_path / "reports" / "verify.xml"
    write_junit(report, path)
    assert [p.name for p in path.parent.iterdir()] == ["verify.xml"]  # no temporary file left
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    _assert_junit_shape(root)
    assert root.get("tests") == str(len(report.checks)) and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == {c.output for c in report.checks}
    cases = [case for s in suites for case in s]
    cases = [c for c in cases if c.tag == "testcase"]
    assert len(cases) == len(report.checks)
    assert all(c.get("classname") and c.get("name") and float(c.get("time")) >= 0 for c in cases)
    for suite in suites:
        own = suite.findall("testcase")
        assert suite.get("tests") == str(len(own))
        assert suite.get("failures") == str(sum(1 for c in own if c.find("failure") is not None))
        assert all(child.tag in ("testcase", "system-out") for child in suite)
    failures = {(c.get("classname"), c.get("name")): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failures) == {("clip/ep001.en.mp4", "ssim"), ("clip/ep001.en.mp4", "psnr"),
                             ("clip/plan.json", "plan.crop")}
    msg = failures[("clip/ep001.en.mp4", "ssim")].get("message")
    assert msg.startswith("clip/ep001.en.mp4: ssim: FAIL: min 0.") and "(want min >= 0.97)" in msg
    assert "|dx| 5 px" in failures[("clip/plan.json", "plan.crop")].get("message")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "verticalize", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_cli_verify_exit_codes_table_and_junit(runs, tmp_path):
    ok = cli("verify", runs["same"], "--against", runs["golden"])
    assert ok.returncode == 0, ok.stderr
    assert "18 checks, 0 failed: PASS" in ok.stdout and "FAIL" not in ok.stdout
    junit = tmp_path / "v.xml"
    bad = cli("verify", runs["crop5"], "--against", runs["golden"], "--junit", junit)
    assert bad.returncode == 1, bad.stderr
    assert "18 checks, 3 failed" in bad.stdout
    row = next(l for l in bad.stdout.splitlines() if "plan.crop" in l)
    assert "FAIL" in row and "|dx| 5 px" in row
    assert ET.parse(junit).getroot().get("failures") == "3"
    loose = cli("verify", runs["crop5"], "--against", runs["golden"], "--min-ssim", "0.5", "--min-psnr-db", "10",
                "--crop-tolerance-px", "5", "--frame-tolerance", "1")
    assert loose.returncode == 0, loose.stdout
    missing = cli("verify", tmp_path / "nope", "--against", runs["golden"])
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [f"verticalize: error: {tmp_path / 'nope'}: no such folder"]
    no_golden = cli("verify", runs["same"])
    assert no_golden.returncode == 2 and "--against" in no_golden.stderr and len(no_golden.stderr.splitlines()) == 1


def test_golden_update_copies_atomically_and_refuses_without_target(runs, tmp_path):
    golden = tmp_path / "goldens"
    done = cli("golden", "update", runs["same"], "--golden", golden)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (golden / "clip").iterdir()) == [
        "ep001.en.mp4", "ep001.en.srt", "ep001.en.vtt", "manifest.json", "plan.json"]
    assert (golden / "clip" / "ep001.en.mp4").read_bytes() == (runs["same"] / VIDEO).read_bytes()
    assert verify(runs["same"], golden).ok
    update_golden(runs["crop5"], golden)  # on purpose: the new pictures become the golden
    assert verify(runs["crop5"], golden).ok and not verify(runs["same"], golden).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["goldens"]  # no temporary folders left

    no_target = cli("golden", "update", runs["same"])
    assert no_target.returncode == 2 and "--golden" in no_target.stderr and len(no_target.stderr.splitlines()) == 1
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "README.md").write_text("keep me")
    refused = cli("golden", "update", runs["same"], "--golden", foreign)
    assert refused.returncode == 2 and "refusing to replace it" in refused.stderr
    assert (foreign / "README.md").read_text() == "keep me"
    with pytest.raises(OptionsError, match="is a file, not a folder"):
        update_golden(runs["same"], foreign / "README.md")
    with pytest.raises(OptionsError, match="separate folder"):
        update_golden(runs["same"], runs["same"] / "clip")


def test_plugin_imports_only_pytest():
    code = ("import sys, verticalize.pytest_plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('edit', 'numpy', 'rich', 'subtitles')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_pytest_plugin_fixture_and_update_option(runs, pytester, tmp_path):
    golden = tmp_path / "plugin-golden"
    pytester.makepyfile(f"""
        def test_same(verticalize_verify):
            report = verticalize_verify({str(runs['same'])!r}, {str(runs['golden'])!r})
            assert report.ok

        def test_offset(verticalize_verify):
            verticalize_verify({str(runs['crop5'])!r}, {str(runs['golden'])!r})

        def test_offset_loose(verticalize_verify):
            verticalize_verify({str(runs['crop5'])!r}, {str(runs['golden'])!r}, min_ssim=0.5, min_psnr_db=10,
                               crop_tolerance_px=5)

        def test_new_golden(verticalize_verify):
            verticalize_verify({str(runs['crop5'])!r}, {str(golden)!r})
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    assert "During handling" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        "*3 of 18 checks failed against*",
        "clip/ep001.en.mp4: ssim: FAIL: min *",
        "clip/ep001.en.mp4: psnr: FAIL: min *",
        "clip/plan.json: plan.crop: FAIL: |dx| 5 px*",
        "*verify could not run:*plugin-golden: no such folder (create goldens with --verticalize-update-goldens)*",
    ])
    assert not golden.exists()

    updated = pytester.runpytest("-p", "no:cacheprovider", "--verticalize-update-goldens", "-k", "new_golden")
    updated.assert_outcomes(passed=1, deselected=3)
    updated.stdout.fnmatch_lines(["*verticalize goldens updated*", str(golden)])
    assert (golden / "clip" / "ep001.en.mp4").is_file()
    again = pytester.runpytest("-p", "no:cacheprovider", "-k", "new_golden")
    again.assert_outcomes(passed=1, deselected=3)
