"""Small helpers for tests: run ffmpeg, decode frames, read stream facts."""
from __future__ import annotations

import re
import subprocess

import numpy as np

from verticalize.media import ffmpeg_exe


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *args], check=True)


def stream_lines(path) -> str:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True)
    return proc.stderr


def count_frames(path) -> int:
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy",
                          "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
    return sum(1 for l in out.splitlines() if l and not l.startswith("#"))


def read_frames(path, indices: list[int], width: int, height: int) -> dict[int, np.ndarray]:
    """RGB frames at the given indices, scaled to width x height."""
    sel = "+".join(f"eq(n\\,{i})" for i in indices)
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                          "-vf", f"select='{sel}',scale={width}:{height}:flags=area", "-fps_mode", "passthrough",
                          "-pix_fmt", "rgb24", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(out, np.uint8).reshape(-1, height, width, 3)
    assert len(frames) == len(indices), (len(frames), indices)
    return dict(zip(sorted(indices), frames))


def duration_s(path) -> float:
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", stream_lines(path))
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
