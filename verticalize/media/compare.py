"""Per-frame picture comparison of two videos with ffmpeg's own filters: SSIM, PSNR and
(where this build has libvmaf) VMAF, from one process that decodes both files once."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from verticalize.errors import InputError
from verticalize.media.ffmpeg import first_error_line, has_filter, run

__all__ = ["frame_scores", "has_filter"]


def frame_scores(main: str | os.PathLike, reference: str | os.PathLike, vmaf: bool = False) -> dict[str, list[float]]:
    """Per-frame SSIM (all planes, 0..1), PSNR (all planes, dB; inf where identical) and optionally VMAF.

    One ffmpeg process decodes both files once: ``[main][ref]ssim -> [.][ref]psnr
    (-> [.][ref]libvmaf)``, each filter writing its per-frame stats file. Frames
    pair up by index from the first; comparison stops at the shorter file.
    Both videos must have the same size. Raises InputError if ffmpeg fails.
    """
    k = 3 if vmaf else 2
    refs = "".join(f"[r{i}]" for i in range(k))
    graph = (f"[0:v]setpts=PTS-STARTPTS[m];[1:v]setpts=PTS-STARTPTS,split={k}{refs};"
             "[m][r0]ssim=stats_file=ssim.log:shortest=1[s];"
             "[s][r1]psnr=stats_file=psnr.log:shortest=1" + ("[p];[p][r2]libvmaf=log_path=vmaf.json:log_fmt=json:"
                                                               f"n_threads={os.cpu_count() or 1}:shortest=1"
                                                               if vmaf else ""))
    work = Path(tempfile.mkdtemp(prefix="verticalize-verify-"))
    try:
        proc = run(["-hide_banner", "-nostdin", "-v", "error", "-i", str(Path(main).resolve()),
                    "-i", str(Path(reference).resolve()), "-lavfi", graph, "-an", "-f", "null", "-"], cwd=work)
        if proc.returncode != 0:
            raise InputError(f"ffmpeg could not compare it with {reference}: "
                             f"{first_error_line(proc.stderr, f'exit code {proc.returncode}')}", main)
        result = {"ssim": _stats_values(work / "ssim.log", "All"), "psnr": _stats_values(work / "psnr.log", "psnr_avg")}
        if vmaf:
            try:
                frames = json.loads((work / "vmaf.json").read_text())["frames"]
                result["vmaf"] = [float(f["metrics"]["vmaf"]) for f in frames]
            except (OSError, ValueError, KeyError, TypeError):
                result["vmaf"] = []
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stats_values(path: Path, key: str) -> list[float]:
    """The ``key:value`` of every line of an ssim/psnr stats file."""
    values = []
    pattern = re.compile(rf"\b{re.escape(key)}:(\S+)")
    for line in path.read_text().splitlines():
        m = pattern.search(line)
        if m:
            values.append(float(m.group(1)))  # float("inf") parses ffmpeg's "inf"
    return values
