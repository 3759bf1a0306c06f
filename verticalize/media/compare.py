"""Per-frame picture comparison of two videos with ffmpeg's own filters: SSIM, PSNR and
(where this build has libvmaf) VMAF, from one process that decodes both files once; and the
BS.1770 loudness and true peak of an audio stream (``ebur128``)."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from verticalize.errors import InputError
from verticalize.media.ffmpeg import first_error_line, has_filter, run

__all__ = ["Loudness", "audio_duration", "audio_loudness", "frame_scores", "has_filter", "parse_ebur128_summary"]


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


@dataclass(frozen=True)
class Loudness:
    """ITU-R BS.1770 / EBU R128 measurement of one audio stream: integrated loudness (LUFS,
    -inf for silence), true peak (dBTP, 4x oversampled) and loudness range (LU)."""

    integrated_lufs: float
    true_peak_dbtp: float
    range_lu: float


def parse_ebur128_summary(stderr: str) -> Loudness:
    """The last ``Summary:`` block ffmpeg's ``ebur128`` filter printed (peak=true)."""
    block = stderr[stderr.rfind("Summary:"):]

    def value(key: str) -> float:
        m = re.search(rf"\b{key}:\s*(-?inf|[-+]?\d+(?:\.\d+)?)", block)
        if not m:
            return float("nan")
        return float(m.group(1))  # "-inf" parses

    return Loudness(value("I"), value("Peak"), value("LRA"))


def audio_loudness(path: str | os.PathLike, stream: int = 0) -> Loudness:
    """Loudness of audio stream ``stream`` (0-based) of ``path``, measured by ffmpeg's
    ``ebur128`` filter with ``peak=true``. Raises InputError if ffmpeg cannot read it."""
    proc = run(["-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", f"0:a:{stream}",
                "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"])
    if proc.returncode != 0 or "Summary:" not in proc.stderr:
        raise InputError(f"ffmpeg could not measure the loudness of audio stream {stream}: "
                         f"{first_error_line(proc.stderr, f'exit code {proc.returncode}')}", path)
    return parse_ebur128_summary(proc.stderr)


def audio_duration(path: str | os.PathLike) -> float:
    """Length of the first audio stream of ``path`` in seconds, by decoding it to the end.
    Raises InputError when it has no audio or does not decode."""
    proc = run(["-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
                "-progress", "pipe:1", "-f", "null", "-"])
    times = re.findall(r"out_time_us=(\d+)", proc.stdout)
    if proc.returncode != 0 or not times:
        raise InputError(f"no audio that ffmpeg can decode: "
                         f"{first_error_line(proc.stderr, f'exit code {proc.returncode}')}", path)
    return int(times[-1]) / 1e6
