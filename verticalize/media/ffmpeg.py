"""The ffmpeg binary, set in one place, and the ways this package starts it.

Every ffmpeg process of the project starts here: ``run`` for a command that
ends on its own, ``Stream`` for one whose stdout is read as it comes (its
stderr drained by a thread, so a chatty decoder never blocks). The binary is
imageio-ffmpeg's (libx264, libass, libvmaf); ``$VERTICALIZE_FFMPEG`` overrides it.
"""
from __future__ import annotations

import os
import re
import subprocess
import threading
from functools import lru_cache
from pathlib import Path

from verticalize.errors import InputError


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (``$VERTICALIZE_FFMPEG`` overrides imageio-ffmpeg's)."""
    env = os.environ.get("VERTICALIZE_FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def check_path(path: str | os.PathLike) -> None:
    """Raise InputError in one line when ``path`` is missing, a folder or empty."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path)
    if path.is_dir():
        raise InputError("is a directory, not a video file", path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path)


def first_error_line(stderr: str, default: str = "ffmpeg failed") -> str:
    """The first non-empty line of ffmpeg's stderr, without its ``[component @ addr]`` prefixes."""
    for line in stderr.splitlines():
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", line.strip())
        if line:
            return line
    return default


def run(args: list[str], *, cwd: str | os.PathLike | None = None, env: dict | None = None,
        binary: bool = False) -> subprocess.CompletedProcess:
    """Run ``ffmpeg ARGS`` to the end; stdout and stderr captured (text unless ``binary``)."""
    if binary:
        return subprocess.run([ffmpeg_exe(), *args], capture_output=True, cwd=cwd, env=env)
    return subprocess.run([ffmpeg_exe(), *args], capture_output=True, text=True, errors="replace", cwd=cwd, env=env)


class Stream:
    """``ffmpeg ARGS`` with stdout read by the caller as it comes and stderr drained by a thread.

    ``pass_fds``: extra pipe ends the process writes to (closed here after the
    start). ``close()`` waits for the process (killing it first with ``kill=True``)
    and returns its exit code; ``stderr`` then holds what it printed.
    """

    def __init__(self, args: list[str], *, bufsize: int = -1, pass_fds: tuple[int, ...] = ()):
        self.proc = subprocess.Popen([ffmpeg_exe(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     bufsize=bufsize, pass_fds=pass_fds)
        for fd in pass_fds:
            os.close(fd)
        self._err: list[bytes] = []
        self._reader = threading.Thread(target=lambda: self._err.append(self.proc.stderr.read()), daemon=True)
        self._reader.start()
        self.stdout = self.proc.stdout
        self.stderr = ""

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def close(self, kill: bool = False) -> int:
        if kill:
            self.kill()
        self.proc.stdout.close()
        rc = self.proc.wait()
        self._reader.join()
        self.stderr = b"".join(self._err).decode("utf-8", "replace")
        return rc


@lru_cache(maxsize=None)
def has_filter(name: str) -> bool:
    """Whether this ffmpeg build has the filter ``name`` (``libvmaf``, ``subtitles``, ...)."""
    proc = run(["-hide_banner", "-nostdin", "-filters"])
    return any(line.split()[1:2] == [name] for line in proc.stdout.splitlines() if line.strip())
