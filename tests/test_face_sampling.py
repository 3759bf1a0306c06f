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
