"""Face samples where they pay: the face rate while faces are seen, the idle rate where none was seen
for a second, and back at once after a cut."""
from __future__ import annotations

import numpy as np
from skimage import data

from media_helpers import ffmpeg
from verticalize.analysis import analyze
from verticalize.options import DEFAULTS

FPS = 30
CUT = 90  # 3 s of moving test pattern (no face), then 2 s of a photograph with a face


def test_faces_are_sampled_at_the_idle_rate_without_faces_and_found_right_after_a_cut(tmp_path):
    photo = tmp_path / "astronaut.png"
    from PIL import Image
    Image.fromarray(np.asarray(data.astronaut())).resize((360, 360)).save(photo)
    clip = tmp_path / "idle.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}:duration=3",
           "-loop", "1", "-framerate", str(FPS), "-t", "2", "-i", str(photo),
           "-filter_complex", "[1:v]pad=640:360:140:0,format=yuv420p,setsar=1[p];[0:v]format=yuv420p,setsar=1[t];"
                              "[t][p]concat=n=2:v=1[v]",
           "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", str(clip))
    plan = analyze(str(clip), opts=DEFAULTS.with_(episodes=False))
    every = plan.analysis["face_every_frames"]
    faces = sorted(int(f) for f in plan.analysis["faces"])
    assert faces and CUT <= faces[0] <= CUT + every, faces  # found at the first sample due after the cut
    # before the cut: 1 s at face_fps, then 2 s at face_idle_fps (3 s at face_fps without the idle rate)
    before = plan.analysis["faces_sampled"] - len([f for f in faces if f >= CUT])
    assert before <= DEFAULTS.face_fps + 2 * DEFAULTS.face_idle_fps + 2 < 3 * DEFAULTS.face_fps, before


class _FakeFaces:
    """A face sampler (wants/claim/detect) that sees two faces too far apart to share the crop on
    frames 60..119 and none elsewhere; fails on ``fail_at``."""

    def __init__(self, every=7, fail_at=None):
        self.every, self.fail_at, self.detections, self._due = every, fail_at, {}, 0

    def wants(self, index):
        return index >= self._due

    def claim(self, index):
        self._due = (index // self.every + 1) * self.every

    def detect(self, index, frame):
        if index == self.fail_at:
            raise RuntimeError(f"model failed on frame {index}")
        self.detections[index] = [(0, 0, 10, 10, 0.9), (600, 0, 10, 10, 0.9)] if 60 <= index < 120 else []


class _FakePersons:
    def __init__(self, every=15):
        self.every, self.seen, self._due = every, [], 0

    def wants(self, index):
        return index >= self._due

    def process_frame(self, index, frame):
        self._due = (index // self.every + 1) * self.every
        self.seen.append(index)


def _clip(n=200, seed=1):
    """Frames that change (noise), stand still (frames 140..169) and jump (a cut at 170), with the
    shot detector's score per frame."""
    rng = np.random.default_rng(seed)
    frames, scores = [], []
    still = rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)
    for i in range(n):
        f = still if 140 <= i < 170 else rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)
        frames.append(f)
        scores.append(0.9 if i == 170 else 0.01)
    return frames, scores


def _inline_samples(frames, scores, opts, fps=30):
    """The sampling an inline loop does (the reference FaceStage must match): face samples, person
    samples, mouth samples."""
    from reframe.saliency import changed_fraction, luma_motion
    from verticalize.analysis import face_sample_due

    faces, persons = _FakeFaces(), _FakePersons()
    still_every = max(1, round(fps / opts.face_still_fps))
    idle_every, idle_after = max(1, round(fps / opts.face_idle_fps)), round(fps * opts.face_idle_after_s)
    mouth_every = max(1, round(fps / opts.mouth_fps))
    last_face, last_seen, jump, ref = -still_every, 0, 0.0, np.zeros(frames[0].shape[:2], np.float32)
    apart, mouth_due, mouths = False, 0, []
    for i, (f, sc) in enumerate(zip(frames, scores)):
        jump = max(jump, sc)
        if faces.wants(i) and face_sample_due(i, last_face, last_seen, still_every, idle_every, idle_after, jump,
                                               lambda: changed_fraction(luma_motion(f)[0], ref), opts):
            if jump >= opts.shot_min_score:
                last_seen = i
            jump = 0.0
            faces.claim(i)
            faces.detect(i, f)
            if faces.detections[i]:
                last_seen = i
            elif persons.wants(i):
                persons.process_frame(i, f)
            ref, last_face = luma_motion(f)[0], i
            apart = len(faces.detections[i]) >= 2
        if apart and i >= mouth_due:
            mouths.append(i)
            mouth_due = (i // mouth_every + 1) * mouth_every
    return sorted(faces.detections), persons.seen, mouths


def _stage(faces, persons):
    from fractions import Fraction
    from types import SimpleNamespace

    from verticalize.analysis import FaceStage
    return FaceStage(faces, persons, SimpleNamespace(width=640, height=360, fps=Fraction(30)), crop_width=200)


def test_the_face_stage_samples_what_an_inline_loop_samples():
    frames, scores = _clip()
    faces, persons = _FakeFaces(), _FakePersons()
    stage = _stage(faces, persons)
    for i, (f, sc) in enumerate(zip(frames, scores)):
        stage.put(i, f, sc)
    stage.close()
    want_faces, want_persons, want_mouths = _inline_samples(frames, scores, DEFAULTS)
    assert sorted(faces.detections) == want_faces
    assert persons.seen == want_persons
    assert sorted(stage.mouths.samples) == want_mouths
    # and the rules show: idle rate before the faces, full rate with them, still rate while still,
    # a sample right after the cut at 170
    gaps, idle = np.diff(want_faces), round(30 / DEFAULTS.face_idle_fps)
    assert max(gaps[:4]) <= 7 and idle in gaps, want_faces
    assert 170 in want_faces and 60 <= min(want_mouths) <= 60 + idle  # found within one idle interval


def test_a_face_stage_failure_reaches_the_caller():
    stage = _stage(_FakeFaces(fail_at=7), _FakePersons())
    frames, _ = _clip()
    import pytest
    with pytest.raises(RuntimeError, match="frame 7"):
        for i, f in enumerate(frames):
            stage.put(i, f, 0.01)
    with pytest.raises(RuntimeError, match="frame 7"):
        stage.close()
