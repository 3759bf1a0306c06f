"""Render farms: one task renders the same bytes every time; a real Dask cluster gives the local run's files."""
from __future__ import annotations

import hashlib
import json
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from media_helpers import count_frames, ffmpeg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OPTS = ["--size", "180x320", "--preset", "superfast", "--episode-min", "2", "--episode-max", "4", "--jobs", "2"]

SRT_EN = """1
00:00:00,300 --> 00:00:01,500
Who is there?

2
00:00:02,300 --> 00:00:03,600
Nobody. Go back to sleep.

3
00:00:04,300 --> 00:00:05,500
I heard the door!
"""
SRT_ES = SRT_EN.replace("Who is there?", "¿Quién está ahí?").replace("Nobody. Go back to sleep.", "Nadie. Duerme.") \
    .replace("I heard the door!", "¡Oí la puerta!")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "verticalize", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """8 s at 320x180, 25 fps: four 2 s shots (hard cuts), a tone; English and Spanish subtitles."""
    d = tmp_path_factory.mktemp("farm_in")
    video = d / "scene.mp4"
    srcs = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc"]
    args = []
    for s in srcs:
        args += ["-f", "lavfi", "-i", f"{s}=s=320x180:r=25:d=2"]
    args += ["-f", "lavfi", "-i", "sine=f=330:d=8"]
    ffmpeg(*args, "-filter_complex", "".join(f"[{k}:v]" for k in range(4)) + "concat=n=4:v=1:a=0[v]",
           "-map", "[v]", "-map", "4:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
           "-shortest", str(video))
    (d / "scene.en.srt").write_text(SRT_EN, encoding="utf-8")
    (d / "scene.es.srt").write_text(SRT_ES, encoding="utf-8")
    return {"video": video, "subs": ["--subs", f"en={d / 'scene.en.srt'}", "--subs", f"es={d / 'scene.es.srt'}"]}


@pytest.fixture(scope="module")
def local_run(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("farm_local")
    _cli("run", clip["video"], "-o", out, *OPTS, *clip["subs"])
    return out / "scene"


def test_one_task_is_deterministic_and_tasks_lists_its_command(local_run, tmp_path):
    plan = local_run / "plan.json"
    # --per-language: one task per episode and language (the run's options, from the plan)
    tasks = json.loads(_cli("tasks", plan, "-o", tmp_path / "farm", "--per-language").stdout)
    manifest = json.loads((local_run / "manifest.json").read_text())
    n_eps = len(manifest["episodes"])
    assert n_eps >= 2
    assert [(t["episode"], t["lang"]) for t in tasks] == [(e, l) for e in range(1, n_eps + 1) for l in ("en", "es")]
    for t in tasks:
        ep = manifest["episodes"][t["episode"] - 1]
        assert t["frames"] == ep["frames"]
        assert t["output"] == str(tmp_path / "farm" / f"ep{t['episode']:03d}.{t['lang']}.mp4")
        assert t["command"][:2] == ["verticalize", "render"] and shlex.split(t["shell"]) == t["command"]
        assert "--preset superfast" in t["shell"]
    task = tasks[-1]
    # the listed command, run twice (here through this venv's interpreter), gives the same bytes as the run
    argv = [sys.executable, "-m", "verticalize", *task["command"][1:]]
    digests = []
    for _ in range(2):
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        out = Path(task["output"])
        assert count_frames(out) == task["frames"]
        digests.append(_sha(out))
        out.unlink()
    name = Path(task["output"]).name
    assert digests[0] == digests[1] == _sha(local_run / name)
    assert sorted(p.name for p in (tmp_path / "farm").iterdir()) == sorted(  # the video was removed above
        ["manifest.json", name.replace(".mp4", ".srt"), name.replace(".mp4", ".vtt")])


def test_tasks_by_episode_render_all_languages_in_one_process_with_the_same_bytes(local_run, tmp_path):
    plan = local_run / "plan.json"
    tasks = json.loads(_cli("tasks", plan, "-o", tmp_path / "farm").stdout)  # default: one task per episode
    manifest = json.loads((local_run / "manifest.json").read_text())
    assert [(t["episode"], t["langs"]) for t in tasks] == [(e, ["en", "es"]) for e in range(1, len(manifest["episodes"]) + 1)]
    task = tasks[0]
    assert task["outputs"] == [str(tmp_path / "farm" / f"ep001.{l}.mp4") for l in ("en", "es")]
    assert shlex.split(task["shell"]) == task["command"] and "--lang en --lang es" in task["shell"]
    subprocess.run([sys.executable, "-m", "verticalize", *task["command"][1:]], check=True, capture_output=True,
                   cwd=ROOT)
    for out in map(Path, task["outputs"]):
        assert _sha(out) == _sha(local_run / out.name), out.name  # split in one ffmpeg: the run's bytes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Dask scheduler and two single-thread workers on localhost, torn down afterwards."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log_dir = tmp_path_factory.mktemp("dask")
    dask = str(BIN / "dask")
    procs = []
    try:
        procs.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=open(log_dir / "scheduler.log", "w")))
        for k in range(2):
            procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--local-directory", str(log_dir / f"w{k}")], cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=open(log_dir / f"worker{k}.log", "w")))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):  # workers first, then the scheduler
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_dask_cluster_run_matches_local_run(clip, local_run, cluster, tmp_path):
    out = tmp_path / "dask"
    proc = _cli("run", clip["video"], "-o", out, *OPTS, *clip["subs"], "--scheduler", cluster, "--json")
    events = [json.loads(l) for l in proc.stdout.splitlines()]
    assert [e["event"] for e in events if e["event"] in ("done", "failed")] == ["done"]
    got = out / "scene"
    assert (got / "plan.json").read_bytes() == (local_run / "plan.json").read_bytes()
    want = sorted(p.name for p in local_run.iterdir())
    assert sorted(p.name for p in got.iterdir()) == want
    videos = [n for n in want if n.endswith(".mp4")]
    assert len(videos) >= 4
    for n in want:
        if n != "manifest.json":
            assert _sha(got / n) == _sha(local_run / n), n  # x264 with fixed threads: the same bytes
    m_local, m_dask = (json.loads((d / "manifest.json").read_text()) for d in (local_run, got))
    assert m_dask["episodes"] == m_local["episodes"] and m_dask["input"] == m_local["input"]
    if (ROOT / "edit" / "verify.py").is_file():  # the verify command, where it exists
        _cli("verify", got, "--against", local_run)


def test_dask_render_of_one_task_and_a_bad_input(clip, local_run, cluster, tmp_path):
    _cli("render", local_run / "plan.json", "-o", tmp_path / "r", "--episode", "2", "--lang", "es",
         "--preset", "superfast", "--scheduler", cluster)
    assert _sha(tmp_path / "r" / "ep002.es.mp4") == _sha(local_run / "ep002.es.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    proc = subprocess.run([sys.executable, "-m", "verticalize", "run", bad, clip["video"], "-o", tmp_path / "o",
                           *OPTS, "--scheduler", cluster], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    lines = [l for l in proc.stderr.splitlines() if "error" in l]
    assert len(lines) == 1 and lines[0].startswith(f"verticalize: error: {bad}: "), proc.stderr
    assert count_frames(tmp_path / "o" / "scene" / "ep001.mp4") > 0


def test_dask_nvenc_is_probed_on_the_workers(clip, cluster, tmp_path):
    from verticalize.media.encode import check_encoder
    from verticalize.errors import RenderError

    try:
        check_encoder("h264_nvenc")
        pytest.skip("this machine has a working NVENC")
    except RenderError:
        pass
    proc = subprocess.run([sys.executable, "-m", "verticalize", "run", clip["video"], "-o", tmp_path / "o", *OPTS,
                           "--encoder", "h264_nvenc", "--scheduler", cluster], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verticalize: error: h264_nvenc: no NVIDIA GPU/driver available"), \
        proc.stderr
    assert "(on worker tcp://127.0.0.1:" in lines[0]
    assert not (tmp_path / "o").exists()
