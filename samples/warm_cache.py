"""Compile every numba kernel of the analysis into its on-disk cache, once, at install time.

    python samples/warm_cache.py      # run by `make` right after installing (the .venv stamp)

The kernels are ``numba.njit(cache=True)``: the first process that calls one
compiles it (about 25 CPU s for all of them) and later processes load the
compiled code from ``__pycache__`` beside the source. This builds a 3.5-s clip
that reaches every kernel (a subject moving across a shot, so the camera-path
solver runs; a dissolve into a second shot; a tone) and analyses it into 2
episodes. Prints the seconds it took.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg


def main() -> int:
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="verticalize-warm-") as work:
        clip = Path(work) / "warm.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                        "-f", "lavfi", "-i", "color=c=0x202020:s=1280x720:r=30:d=2",
                        "-f", "lavfi", "-i", "testsrc2=s=240x320:r=30:d=2",
                        "-f", "lavfi", "-i", "smptehdbars=s=1280x720:r=30:d=2",
                        "-f", "lavfi", "-i", "sine=f=220:d=3.5",
                        "-filter_complex", "[0:v][1:v]overlay=x='100+t*450':y=200[m];"
                                           "[m][2:v]xfade=transition=fade:duration=0.5:offset=1.5[v]",
                        "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                        "-shortest", str(clip)], check=True)
        subprocess.run([sys.executable, "-m", "verticalize", "analyze", str(clip), "-o", str(Path(work) / "plan.json"),
                        "--episode-min", "1", "--episode-max", "2"], check=True, stdout=subprocess.DEVNULL)
    print(f"numba kernels compiled into their cache in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
