"""Start-up of an analysis: mediapipe without matplotlib, models built once per process and reused
with the same results."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_mediapipe_solutions_load_without_matplotlib_and_drawing_still_works():
    code = ("import sys\n"
            "from reframe.models import solutions\n"
            "mp = solutions()\n"
            "assert mp.face_detection.FaceDetection and mp.selfie_segmentation.SelfieSegmentation\n"
            "print('matplotlib' in sys.modules)\n"
            "import mediapipe\n"
            "assert mediapipe.solutions.face_detection is mp.face_detection\n"
            "print(mediapipe.solutions.drawing_utils.DrawingSpec().thickness, 'matplotlib' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "2", "True"]  # no matplotlib until the drawing module is read


def test_face_and_person_models_are_reused_one_borrower_at_a_time():
    from reframe.faces import FaceSampler
    from reframe.persons import PersonSampler

    a, p = FaceSampler(5, 640, 360), PersonSampler(5, 640)
    b = FaceSampler(5, 640, 360)  # a second sampler while the first is open: its own models
    assert a._det is not b._det and a._close is not b._close
    frame = np.zeros((216, 384, 3), np.uint8)
    frame[60:150, 150:230] = 200
    a.process_frame(0, frame)
    p.process_frame(0, frame)
    dets, seg = (a._det, b._det), p._seg
    a.close(), b.close(), p.close()
    a.close()  # twice: handed back once
    c, q = FaceSampler(5, 640, 360), PersonSampler(5, 640)
    assert c._det in dets and q._seg is seg  # no new model built
    c.process_frame(0, frame)
    q.process_frame(0, frame)
    assert c.detections == a.detections and q.spans == p.spans
    c.close(), q.close()


def test_reused_speech_model_starts_from_a_clear_state():
    from edit.vad import SpeechDetector

    rng = np.random.default_rng(3)
    t = np.arange(16000 * 2) / 16000
    first = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    second = (0.2 * rng.standard_normal(16000 * 2)).astype(np.float32)
    fresh = SpeechDetector(16000)
    fresh.feed(second)
    want = fresh.finish()
    d = SpeechDetector(16000)  # the model fresh handed back
    assert d._vad is fresh._vad
    d.feed(first)
    d.finish()
    again = SpeechDetector(16000)  # after a different stream
    again.feed(second[:7000])
    again.feed(second[7000:])
    assert np.array_equal(again.finish(), want)
