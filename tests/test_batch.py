"""`verticalize run` on many inputs: one bad file among 20, SIGTERM halfway, --resume, globs, --encoder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from verticalize.batch import expand_inputs, file_sha256
from media_helpers import count_frames, ffmpeg, stream_lines

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--no-episodes", "--size", "180x320", "--preset", "superfast", "--jobs", "2"]
N_INPUTS = 20
BAD = "c09.mp4"
FRAMES = 50  # 2 s at 25 fps


def _make_clip(path: Path, k: int) -> None:
    """2 s of 320x180 at 25 fps: testsrc2, a hard cut to bars at 1 s, a sine tone per clip."""
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=1", "-f", "lavfi", "-i", "smptebars=s=320x180:r=25:d=1",
           "-f", "lavfi", "-i", f"sine=f={300 + 10 * k}:d=2", "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]",
           "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
           "-shortest", str(path))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A folder of 20 clips; c09.mp4 is cut off after 3000 bytes (no moov atom)."""
    d = tmp_path_factory.mktemp("batch_in")
    for k in range(N_INPUTS):
        _make_clip(d / f"c{k:02d}.mp4", k)
    data = (d / BAD).read_bytes()
    (d / BAD).write_bytes(data[:3000])
    return d


def _cli(*args, check_rc=None):
    proc = subprocess.run([sys.executable, "-m", "verticalize", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr
    return proc


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.name.endswith((".part", ".tmp")))


def test_sigterm_halfway_then_resume_does_only_the_rest(inputs, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "verticalize", "run", inputs, "-o", out, *FAST, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    first: list[dict] = []
    children: list[psutil.Process] = []
    parent = psutil.Process(proc.pid)
    for line in proc.stdout:  # kill once 6 files are done, while others are being worked on
        first.append(json.loads(line))
        if sum(e["event"] == "done" for e in first) >= 6:
            break
    children = parent.children(recursive=True)
    assert children, "the batch runs its work in child processes"
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=120)
    first += _events(rest)
    assert proc.returncode != 0
    assert "interrupted" in err and "Traceback" not in err
    assert not _leftovers(out), "partial files are removed"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"child processes left running: {[p.pid for p in alive]}"

    done_first = {Path(e["file"]).name for e in first if e["event"] == "done"}
    assert len(done_first) >= 6
    # every output present after the kill is whole: renamed into place only when complete
    for mp4 in out.glob("*/ep001.mp4"):
        assert count_frames(mp4) == FRAMES
    complete = {d.name + ".mp4" for d in out.iterdir() if (d / "manifest.json").is_file()}
    assert done_first == complete
    # videos in place: those of complete files, and maybe one whose manifest the kill came before
    mtimes = {d.name + ".mp4": (d / "ep001.mp4").stat().st_mtime_ns for d in out.iterdir() if (d / "ep001.mp4").is_file()}
    assert complete <= set(mtimes)

    second = _cli("run", inputs, "-o", out, *FAST, "--json", "--resume")
    ev = _events(second.stdout)
    assert second.returncode == 2
    skipped = {Path(e["file"]).name for e in ev if e["event"] == "done" and e["skipped"]}
    rendered = {Path(e["file"]).name for e in ev if e["event"] == "done" and not e["skipped"]}
    assert skipped == complete, "a file already done is skipped"
    assert rendered == {f"c{k:02d}.mp4" for k in range(N_INPUTS)} - complete - {BAD}, "the rest is done now"
    for e in ev:  # an episode already in place is not rendered again, whether or not its manifest was written
        if e["event"] == "done" and not e["skipped"]:
            assert e["rendered"] == (0 if Path(e["file"]).name in mtimes else 1), e
    for n in mtimes:  # untouched
        assert (out / Path(n).stem / "ep001.mp4").stat().st_mtime_ns == mtimes[n]
    summary = ev[-1]
    assert summary["event"] == "summary"
    assert (summary["files"], summary["failed"], summary["done"] + summary["skipped"]) == (20, 1, 19)

    # the batch as a whole: 19 good outputs, one clear line for the bad file
    good = sorted(out.glob("*/ep001.mp4"))
    assert len(good) == 19 and not (out / "c09" / "ep001.mp4").exists()
    for mp4 in good[::6]:
        assert count_frames(mp4) == FRAMES
        assert "180x320" in stream_lines(mp4)
    lines = second.stderr.strip().splitlines()
    assert lines == [f"verticalize: error: {inputs / BAD}: truncated or corrupt MP4 (moov atom not found)"]
    failed = [e for e in ev if e["event"] == "failed"]
    assert [Path(e["file"]).name for e in failed] == [BAD]
    manifest = json.loads((out / "c00" / "manifest.json").read_text())
    assert manifest["input"]["sha256"] == file_sha256(inputs / "c00.mp4")
    assert manifest["input"]["size"] == (inputs / "c00.mp4").stat().st_size
    assert not _leftovers(out)


def test_resume_redoes_changed_options_and_content(inputs, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for k in (0, 1):
        (src / f"c{k:02d}.mp4").write_bytes((inputs / f"c{k:02d}.mp4").read_bytes())
    out = tmp_path / "out"
    _cli("run", src, "-o", out, *FAST, "--json", check_rc=0)
    plan0 = (out / "c00" / "plan.json").read_bytes()
    ev = _events(_cli("run", src, "-o", out, *FAST, "--json", "--resume", check_rc=0).stdout)
    assert [e["skipped"] for e in ev if e["event"] == "done"] == [True, True]
    # another CRF: the plan is made again (options hash) and both files are rendered again
    ev = _events(_cli("run", src, "-o", out, *FAST, "--crf", "30", "--json", "--resume", check_rc=0).stdout)
    assert [e["skipped"] for e in ev if e["event"] == "done"] == [False, False]
    assert [e["reused"] for e in ev if e.get("stage") == "analysed"] == [False, False]
    # new content under the same name is analysed again; a removed output is rendered again from the kept plan
    (src / "c00.mp4").write_bytes((inputs / "c02.mp4").read_bytes())
    (out / "c01" / "ep001.mp4").unlink()
    ev = _events(_cli("run", src, "-o", out, *FAST, "--crf", "30", "--json", "--resume", check_rc=0).stdout)
    done = {Path(e["file"]).name: e for e in ev if e["event"] == "done"}
    assert not done["c00.mp4"]["skipped"] and not done["c01.mp4"]["skipped"]
    reused = {Path(e["file"]).name: e["reused"] for e in ev if e.get("stage") == "analysed"}
    assert reused == {"c00.mp4": False, "c01.mp4": True}
    assert count_frames(out / "c01" / "ep001.mp4") == FRAMES
    plan = json.loads((out / "c00" / "plan.json").read_text())
    assert plan["analysis"]["input"]["sha256"] == file_sha256(inputs / "c02.mp4")
    assert "seconds" not in plan["analysis"], "timings live in the manifest: the plan is reproducible"
    assert (out / "c00" / "plan.json").read_bytes() != plan0


def test_inputs_from_folders_and_quoted_globs(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    for name in ("b.mp4", "a.MOV", "notes.txt", ".hidden.mp4", "sub/c.mkv"):
        (d / name).write_bytes(b"x")
    assert expand_inputs([str(d)]) == [str(d / "a.MOV"), str(d / "b.mp4")]
    assert expand_inputs([str(d / "*.mp4"), str(d / "b.mp4")]) == [str(d / "b.mp4")]
    assert expand_inputs([str(d / "**" / "*.mkv")]) == [str(d / "sub" / "c.mkv")]
    assert expand_inputs([str(d / "nothing*.mp4")]) == [str(d / "nothing*.mp4")]  # fails later, naming it
    proc = _cli("run", d / "nothing*.mp4", d / "b.mp4", "-o", tmp_path / "out", *FAST)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and all(l.startswith("verticalize: error: ") for l in lines)
    assert "nothing*.mp4" in lines[0] + lines[1] and "b.mp4" in lines[0] + lines[1]
    proc = _cli("run", d / "b.mp4", d / "sub" / "b.mp4", "-o", tmp_path / "out", *FAST)
    assert proc.returncode == 2 and "would both write" in proc.stderr


def _nvenc_works() -> bool:
    from verticalize.media.encode import check_encoder
    from verticalize.errors import RenderError

    try:
        check_encoder("h264_nvenc")
    except RenderError:
        return False
    return True


@pytest.mark.skipif(_nvenc_works(), reason="this machine has a working NVENC")
@pytest.mark.parametrize("command", ["run", "reframe", "render"])
def test_nvenc_without_gpu_is_one_line_and_writes_nothing(inputs, tmp_path, command):
    out = tmp_path / "out"
    if command == "run":
        args = ["run", inputs / "c00.mp4", "-o", out, *FAST]
    elif command == "reframe":
        args = ["reframe", inputs / "c00.mp4", "-o", out / "v.mp4", "--size", "180x320"]
    else:
        plan = tmp_path / "plan.json"
        _cli("analyze", inputs / "c00.mp4", "-o", plan, "--no-episodes", "--size", "180x320", check_rc=0)
        args = ["render", plan, "-o", out]
    proc = _cli(*args, "--encoder", "h264_nvenc")
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("verticalize: error: h264_nvenc: no NVIDIA GPU/driver available (ffmpeg: ")
    assert not out.exists() or not any(out.rglob("*"))


def test_library_run_resumes_in_process(inputs, tmp_path):
    import verticalize
    from verticalize.options import DEFAULTS

    opts = DEFAULTS.with_(episodes=False, width=180, height=320, preset="superfast", jobs=1)
    (m1,) = verticalize.run([inputs / "c03.mp4"], tmp_path, opts=opts)
    video = tmp_path / "c03" / "ep001.mp4"
    first = video.stat().st_mtime_ns
    (m2,) = verticalize.run([inputs / "c03.mp4"], tmp_path, opts=opts, resume=True)
    assert video.stat().st_mtime_ns == first and m2 == m1
    assert m1["input"]["sha256"] == file_sha256(inputs / "c03.mp4")
    assert count_frames(video) == FRAMES


def test_nvenc_with_a_driver_older_than_ffmpeg_needs_names_the_driver():
    """What ffmpeg 9's NVENC printed on an H200 with driver 580 (NVENC API 13.0): one line that says
    which driver it needs and what to do, not "no GPU"."""
    from verticalize.media.encode import nvenc_error

    stderr = ("[h264_nvenc @ 0x560c29377dc0] Driver does not support the required nvenc API version. "
              "Required: 13.1 Found: 13.0\n"
              "[h264_nvenc @ 0x560c29377dc0] The minimum required Nvidia driver for nvenc is 610.00 or newer\n"
              "[vost#0:0/h264_nvenc @ 0x560c29377900] [enc:h264_nvenc @ 0x560c29377d40] Error while opening encoder\n")
    line = nvenc_error(stderr, 1)
    assert "\n" not in line
    assert line.startswith("this ffmpeg's NVENC needs NVIDIA driver 610.00 or newer (ffmpeg: Driver does not support "
                           "the required nvenc API version. Required: 13.1 Found: 13.0)")
    assert "set VERTICALIZE_FFMPEG to an ffmpeg built for your driver" in line
    assert nvenc_error("[h264_nvenc @ 0x1] Cannot load libcuda.so.1\n", 1) == \
        "no NVIDIA GPU/driver available (ffmpeg: Cannot load libcuda.so.1)"
