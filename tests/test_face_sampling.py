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
    """Two faces too far apart for the crop on odd samples, none on even ones; fails on ``fail_at``."""

    def __init__(self, fail_at=None):
        self.detections, self.fail_at, self.order = {}, fail_at, []

    def detect(self, index, frame):
        if index == self.fail_at:
            raise RuntimeError(f"model failed on frame {index}")
        self.order.append(index)
        self.detections[index] = [(0, 0, 10, 10, 0.9), (600, 0, 10, 10, 0.9)] if index % 20 == 10 else []


class _FakePersons:
    def __init__(self):
        self.seen = []

    def wants(self, index):
        return True

    def process_frame(self, index, frame):
        self.seen.append(index)


def _stage(faces, persons):
    from types import SimpleNamespace

    from verticalize.analysis import FaceStage
    return FaceStage(faces, persons, SimpleNamespace(width=640, height=360), crop_width=200, mouth_every=5)


def test_the_face_stage_keeps_frame_order_and_hands_each_samples_boxes_back():
    faces, persons = _FakeFaces(), _FakePersons()
    stage = _stage(faces, persons)
    frame = np.zeros((36, 64, 3), np.uint8)
    got = []
    for i in range(40):
        stage.put(i, frame, face=i % 10 == 0)
        if i % 10 == 0:
            got.append(stage.boxes())
    stage.close()
    assert faces.order == [0, 10, 20, 30]
    assert [(i, len(b)) for i, b in got] == [(0, 0), (10, 2), (20, 0), (30, 2)]
    assert stage.boxes() is None  # each sample is read once
    assert persons.seen == [0, 20]  # persons only where no face was found
    # mouths on frames after a sample with two faces apart, every 5 frames, until the next sample
    assert sorted(stage.mouths.samples) == [10, 15, 30, 35]


def test_a_face_stage_failure_reaches_the_caller():
    stage = _stage(_FakeFaces(fail_at=10), _FakePersons())
    frame = np.zeros((36, 64, 3), np.uint8)
    stage.put(0, frame, face=True)
    stage.put(10, frame, face=True)
    import pytest
    with pytest.raises(RuntimeError, match="frame 10"):
        stage.boxes()
    with pytest.raises(RuntimeError, match="frame 10"):
        stage.close()
