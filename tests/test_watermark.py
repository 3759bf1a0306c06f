"""Forensic watermark: the correlation kernel against numpy, the code, and a marked render read
back after CRF 32 and a 4x upscale; unmarked copies and bad IDs."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from verticalize import watermark as wm
from verticalize.media import probe
from verticalize.options import DEFAULTS
from verticalize.plan import Plan, write_plan
from verticalize.render import render
from verticalize.watermark_kernels import correlate
from media_helpers import ffmpeg

SRC_W, SRC_H, SECONDS = 320, 180, 8
MARK_ID = 3_000_000_123


def sampled(grid: np.ndarray, box, h: int, w: int) -> np.ndarray:
    """Slow reference: ``grid`` bilinearly sampled at the centres of an h x w picture showing ``box``."""
    x0, x1, y0, y1 = box
    gh, gw = grid.shape
    out = np.zeros((h, w))
    for i in range(h):
        gy = min(max((y0 + (y1 - y0) * (i + 0.5) / h) * gh - 0.5, 0), gh - 1)
        r = min(int(gy), gh - 2)
        for j in range(w):
            gx = min(max((x0 + (x1 - x0) * (j + 0.5) / w) * gw - 0.5, 0), gw - 1)
            c = min(int(gx), gw - 2)
            fy, fx = gy - r, gx - c
            out[i, j] = ((1 - fy) * (1 - fx) * grid[r, c] + (1 - fy) * fx * grid[r, c + 1]
                         + fy * (1 - fx) * grid[r + 1, c] + fy * fx * grid[r + 1, c + 1])
    return out


def test_correlate_matches_numpy_reference():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(2, 16, 9))
    grids = rng.normal(size=(3, 8, 5))
    boxes = np.array([[0, 1, 0, 1], [0.1, 1, 0, 0.9], [0.05, 0.95, 0.1, 1.0]])
    got = correlate(images, grids, boxes)
    want = np.array([[[np.sum(img * sampled(g, b, 16, 9)) for g in grids] for img in images] for b in boxes])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="x0 < x1"):
        correlate(images, grids, np.array([[0.5, 0.5, 0, 1]]))


def test_read_mark_finds_the_id_in_noise_and_nothing_in_noise_alone():
    rng = np.random.default_rng(2)
    box = (0.1, 1.0, 0.0, 1.0)  # 10% cut from the left
    mark = sampled(wm.mark_grid(MARK_ID), box, wm.DETECT_H, wm.DETECT_W)
    noise = rng.normal(0, 20, (wm.PHASES, wm.DETECT_H, wm.DETECT_W))
    marked = noise.copy()
    marked[5] -= 8 * mark  # one timing guess holds the flips, read the other way round
    marked[4] -= 4 * mark  # and its neighbours part of them
    marked[6] -= 4 * mark
    found = wm.read_mark(marked, 10)
    assert found.id == MARK_ID
    assert found.box == pytest.approx(box)
    assert found.confidence >= wm.CODE_Z_MIN
    nothing = wm.read_mark(noise, 10)
    assert nothing.id is None


def test_code_and_pattern():
    assert wm.code_bits(MARK_ID).shape == (wm.N_BITS,)
    assert not np.array_equal(wm.code_bits(1), wm.code_bits(2))
    frames = wm.pattern_frames(MARK_ID, 1080, 1920)
    assert frames.shape == (wm.STEPS_PER_PERIOD, 1920, 1080)
    offsets = frames.astype(float) - 128
    assert abs(np.sqrt(np.mean(offsets ** 2)) - wm.AMPLITUDE_LEVELS) < 0.15  # RMS as stated
    assert np.array_equal(offsets[1], -offsets[0])  # the square wave: +M, then -M
    marked = np.mean(offsets[0] != 0)
    assert 0.25 < marked <= wm.KEEP_SHARE  # the rest stay 0 (x264 skips those macroblocks at a flip)
    assert np.abs(np.diff(offsets[0], axis=0)).max() <= 1 and np.abs(np.diff(offsets[0], axis=1)).max() <= 1  # no edges
    # the offsets follow the cell grid the detector reads
    smooth = wm.sampled_grid(wm.mark_grid(MARK_ID), (np.arange(1080) + 0.5) / 1080, (np.arange(1920) + 0.5) / 1920)
    assert np.corrcoef(offsets[0].ravel(), smooth.ravel())[0, 1] > 0.8


def test_blend_adds_the_mark_and_leaves_black_untouched(tmp_path):
    """The render's blend on a picture half black (luma 0), half grey: the black half comes out
    unchanged, the grey half carries the pattern's offsets exactly, and chroma is untouched."""
    import ffmpeg as ffmpeg_python
    from verticalize.media.encode import watermark_blend

    W, H = 180, 320
    mark = wm.write_pattern(MARK_ID, tmp_path, W, H)
    want = wm.pattern_frames(MARK_ID, W, H).astype(float)
    half = np.zeros((H, W), np.uint8)
    half[:, W // 2:] = 128
    frame = np.concatenate([half.ravel(), np.full(2 * (H // 2) * (W // 2), 100, np.uint8)])
    (tmp_path / "in.yuv").write_bytes(np.tile(frame, 4).tobytes())
    rate = wm.STEPS_PER_PERIOD / wm.PERIOD_S  # one frame per pattern picture: +M, -M, +M, -M
    src = ffmpeg_python.input(str(tmp_path / "in.yuv"), f="rawvideo", pix_fmt="yuv420p", s=f"{W}x{H}",
                              framerate=f"{rate:g}").video
    out = ffmpeg_python.output(watermark_blend(src, mark, W, H), str(tmp_path / "out.yuv"), f="rawvideo",
                               pix_fmt="yuv420p", fps_mode="passthrough")
    ffmpeg(*ffmpeg_python.get_args(out))
    got = np.frombuffer((tmp_path / "out.yuv").read_bytes(), np.uint8).reshape(4, -1)
    for k in range(4):
        luma = got[k, :W * H].reshape(H, W).astype(float)
        assert np.all(luma[:, :W // 2] == 0)  # black stays black
        assert np.array_equal(luma[:, W // 2:], want[k % 2][:, W // 2:])  # grey 128 + the offsets
        assert np.all(got[k, W * H:] == 100)
    with pytest.raises(ValueError, match="the picture 360x640"):
        watermark_blend(src, mark, 360, 640)


@pytest.fixture(scope="module")
def renders(tmp_path_factory, drama):
    """8 s of the drama sample, small, rendered unmarked and marked (180x320, ultrafast)."""
    folder = tmp_path_factory.mktemp("watermark")
    src = folder / "src.mp4"
    ffmpeg("-ss", "20", "-t", str(SECONDS), "-i", str(drama["video"]), "-vf", f"scale={SRC_W}:{SRC_H}", "-an",
           "-c:v", "libx264", "-crf", "10", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(src))
    n = probe(src).frame_count
    plan = Plan(source={"path": str(src), "width": SRC_W, "height": SRC_H, "fps": "30/1", "frame_count": n,
                        "has_audio": False},
                target={"width": 180, "height": 320}, shots=[{"start": 0, "end": n, "mode": "track"}],
                crop={"x": [110] * n, "y": [0] * n, "w": [100] * n, "h": [178] * n},
                episodes=[{"index": 1, "start": 0, "end": n, "score": 0.0, "reasons": []}])
    write_plan(plan, folder / "plan.json")
    opts = DEFAULTS.with_(preset="ultrafast", jobs=1)
    render(plan, folder / "plain", opts)
    manifest = render(plan, folder / "marked", opts.with_(watermark_id=MARK_ID))
    return folder, manifest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "verticalize", *map(str, args)], capture_output=True, text=True)


def test_marked_copy_after_crf32_and_upscale_gives_its_id(renders):
    folder, manifest = renders
    assert manifest["episodes"][0]["outputs"][0]["watermark_id"] == MARK_ID
    copy = folder / "copy.mp4"
    ffmpeg("-i", str(folder / "marked" / "ep001.mp4"), "-vf", "scale=720:1280", "-c:v", "libx264", "-crf", "32",
           "-preset", "veryfast", str(copy))
    proc = cli("watermark", "detect", copy, "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["id"] == MARK_ID and found["confidence"] >= wm.CODE_Z_MIN


def test_unmarked_copy_gives_no_id(renders):
    folder, _ = renders
    proc = cli("watermark", "detect", folder / "plain" / "ep001.mp4")
    assert proc.returncode == 1, proc.stderr
    assert "no watermark found" in proc.stdout


def test_bad_id_and_bad_file_are_refused_in_one_line(renders, tmp_path):
    folder, _ = renders
    for bad in ("4294967296", "12x", "-1"):
        proc = cli("render", folder / "plan.json", "-o", tmp_path / "x", f"--watermark={bad}")
        assert proc.returncode == 2
        assert proc.stderr.strip() == f"verticalize: error: --watermark {bad!r} is not an ID 0..4294967295"
    (tmp_path / "notes.txt").write_text("hello")
    proc = cli("watermark", "detect", tmp_path / "notes.txt")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "notes.txt" in proc.stderr and "Traceback" not in proc.stderr


def test_tasks_pass_the_id_on(renders):
    folder, _ = renders
    proc = cli("tasks", folder / "plan.json", "--watermark", 77)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["command"][-2:] == ["--watermark", "77"]


def test_resume_hash_of_unmarked_runs_is_unchanged_and_marked_runs_differ():
    from verticalize.batch import output_options

    assert "watermark_id" not in output_options(DEFAULTS)
    assert output_options(DEFAULTS.with_(watermark_id=5))["watermark_id"] == 5


def test_plan_aligns_a_pillarboxed_copy(renders):
    """A copy pillarboxed into 16:9 (the 9:16 picture a third of the width) and played 5% faster:
    without the plan no ID; with it, the bars are cut away and the ID comes back."""
    folder, _ = renders
    copy = folder / "boxed_fast.mp4"
    ffmpeg("-i", str(folder / "marked" / "ep001.mp4"), "-vf",
           "scale=406:720,pad=1280:720:(ow-iw)/2:0,setpts=PTS/1.05", "-r", "30", "-c:v", "libx264", "-crf", "23",
           "-preset", "veryfast", str(copy))
    alone = cli("watermark", "detect", copy, "--json")
    assert alone.returncode == 1, alone.stderr  # the box search covers 15% cuts, not two thirds of bars
    proc = cli("watermark", "detect", copy, "--plan", folder / "plan.json", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["id"] == MARK_ID and found["confidence"] >= wm.CODE_Z_MIN
    x0, x1, y0, y1 = found["crop"]
    assert x0 == pytest.approx(437 / 1280, abs=0.02) and x1 == pytest.approx(843 / 1280, abs=0.02)
    assert (y0, y1) == (0.0, 1.0)
