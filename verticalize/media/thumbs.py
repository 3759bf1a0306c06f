"""Small pictures of chosen source frames, for the review page.

``iter_keyframes`` decodes only the keyframes asked for, at low resolution:
one ffmpeg pass per ``KEYFRAMES_PER_PASS`` frames, which seeks to its first
frame, drops every other packet before the decoder (the ``noise`` bitstream
filter's ``drop`` expression) and is stopped after its last, so a keyframe
costs one intra decode whatever the film's length. ``grab_frame`` gets any
other frame exactly, by a seek from the keyframe before it (``decode_span``).
``read_video`` reads every frame of a small video (the review's 9:16 previews).

``KeyframeStore`` keeps the keyframes the analysis decodes anyway (written by
its decoder, 480 px high, JPEG) in a cache folder named after the source file
(path, size, modification time), so the review page decodes only what is not
there: ``stored_keyframes`` lists them, ``read_stored`` reads one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Collection, Iterator, Sequence

import numpy as np

from verticalize.errors import InputError, NoTimestamps
from verticalize.media.decode import KeyframeJpegs, decode_span, picture_filters
from verticalize.media.ffmpeg import Stream, first_error_line, run
from verticalize.media.probe import MediaInfo, packet_index


def keyframes(info: MediaInfo) -> list[int]:
    """Display indices of the video's keyframes (frames that decode on their own), ascending."""
    return list(packet_index(info)[2])


def _read_rgb(args: list[str], width: int, height: int, path) -> list[np.ndarray]:
    """Every rawvideo RGB frame ffmpeg ``args`` writes to stdout."""
    size = width * height * 3
    proc = Stream(args, bufsize=size * 4)
    frames = []
    try:
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            frames.append(np.frombuffer(buf, np.uint8).reshape(height, width, 3))
    finally:
        rc = proc.close()
    if rc != 0:
        raise InputError("decoding failed (" + first_error_line(proc.stderr) + ")", path)
    return frames


KEYFRAMES_PER_PASS = 256  # pictures one pass holds before handing them on (256 x 320x180 RGB: 44 MB)


def _any_of(terms: list[str]) -> str:
    """``terms`` summed as a shallow tree: ffmpeg's expression parser refuses a flat sum of ~100 terms."""
    while len(terms) > 8:
        terms = ["(" + "+".join(terms[i:i + 8]) + ")" for i in range(0, len(terms), 8)]
    return "+".join(terms)


def _keyframe_pass(info: MediaInfo, wanted: list[int], width: int, height: int, keep: list[list[int]] = (),
                   keep_to: list[Path] = ()) -> list[np.ndarray]:
    """Pictures of the keyframes ``wanted`` (ascending), in order: one ffmpeg process that starts at
    the first (a seek), drops every other packet before the decoder and is stopped after the last.

    ``keep``: groups of ``wanted`` (none empty), each also written whole, as decoded (before
    ``picture_filters``), in order, to its ``keep_to`` file (Matroska, raw video, one frame per 1/fps s,
    colour tags kept); the deblocking filter then runs (these are the render's pictures, exactly)."""
    tb, _, _, times = packet_index(info)
    # drop = 1 for every packet but the wanted keyframes; if() only evaluates the sum on keyframes
    # (commas escaped: the bitstream filter list splits on them)
    expr = "if(key\\,not(" + _any_of([f"eq(pts\\,{times[f]})" for f in wanted]) + ")\\,1)"
    seek = ["-copyts"]  # the container's timestamps, in the filters (select) as in the bitstream filter
    if wanted[0] > 0:  # just after the first keyframe's time: the demuxer starts on it
        start = float((times[wanted[0]] - times[0]) * tb) + 0.25 / float(info.fps)
        seek += ["-noaccurate_seek", "-ss", f"{start:.6f}"]
    thumb = f"{picture_filters(info)}scale={width}:{height}:flags=area"
    kept: list[str] = []
    if keep:
        fps = f"{info.fps.numerator}/{info.fps.denominator}"
        graph = f"[{info.video_map}]split={1 + len(keep)}[t]" + "".join(f"[k{g}]" for g in range(len(keep)))
        graph += f";[t]{thumb},format=rgb24[thumb]"
        for g, (group, path) in enumerate(zip(keep, keep_to)):
            chosen = _any_of([f"eq(pts\\,{times[f]})" for f in group])
            graph += f";[k{g}]select={chosen},setpts=N/({fps})/TB[kept{g}]"
            kept += ["-map", f"[kept{g}]", "-frames:v", str(len(group)), "-fps_mode", "cfr", "-r", fps,
                     "-c:v", "rawvideo", "-f", "matroska", "-y", str(path)]
        pictures = ["-filter_complex", graph, "-map", "[thumb]"]
    else:
        pictures = ["-map", info.video_map, "-vf", thumb]
    deblock = [] if keep else ["-skip_loop_filter", "all"]
    args = ["-v", "error", "-nostdin", "-threads", "1", *deblock, *seek,
            "-bsf:v", f"noise=drop={expr}", "-i", info.path, *pictures, "-an", "-sn",
            "-fps_mode", "passthrough", "-frames:v", str(len(wanted)), "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1",
            *kept]  # every output bounded: ffmpeg stops after the last frame asked for
    size = width * height * 3
    proc = Stream(args, bufsize=size * 4)
    got: list[np.ndarray] = []
    try:
        while len(got) < len(wanted):
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            got.append(np.frombuffer(buf, np.uint8).reshape(height, width, 3))
        if keep and len(got) == len(wanted):  # it stops on its own once the kept file is complete
            proc.stdout.read()
    finally:
        stopped = not keep and len(got) == len(wanted) and proc.running()
        rc = proc.close(kill=stopped)
    if rc != 0 and not stopped:
        raise InputError("decoding failed (" + first_error_line(proc.stderr) + ")", info.path)
    if len(got) != len(wanted):
        raise NoTimestamps(f"decoding {len(wanted)} keyframes alone gave {len(got)} pictures", info.path)
    return got


def keyframe_passes(info: MediaInfo, frames: list[int], width: int, height: int, *,
                    keep: Sequence[Collection[int]] = (), folder: Path | None = None,
                    per_pass: int = KEYFRAMES_PER_PASS
                    ) -> Iterator[tuple[list[tuple[int, np.ndarray]], list[tuple[list[int], Path]]]]:
    """Per pass: ``([(frame, RGB (height, width, 3) picture)], [(kept frames, kept file)])`` of the
    keyframes ``frames`` (display indices), ascending.

    Packets other than these keyframes are dropped before the decoder, so a
    pass costs one intra decode per frame asked for (deblocking skipped, the
    pictures are small, unless the pass keeps frames) plus reading the file
    from the pass's first frame to its last; ``per_pass`` frames per ffmpeg
    process bound the memory. ``keep``: groups of keyframes among ``frames``,
    written whole as well, a Matroska raw-video file per group and pass in
    ``folder`` (``_keyframe_pass``; a group with no frame in a pass has no
    file). Raises NoTimestamps when a pass gives fewer pictures than asked (a
    keyframe that does not decode on its own): ``grab_frame`` those instead.
    """
    wanted = sorted(set(frames))
    keyset = set(keyframes(info))
    if any(f not in keyset for f in wanted):
        raise ValueError("keyframe_passes: every frame must be a keyframe")
    groups = [set(g) for g in keep]
    if any(not g <= set(wanted) for g in groups) or groups and folder is None:
        raise ValueError("keyframe_passes: kept frames must be among the frames, with a folder to keep them in")
    for k in range(0, len(wanted), per_pass):
        part = wanted[k:k + per_pass]
        kept = [([f for f in part if f in g], Path(folder) / f"kept{k // per_pass:05d}-{i}.mkv")
                for i, g in enumerate(groups)]
        kept = [(fs, path) for fs, path in kept if fs]
        pictures = _keyframe_pass(info, part, width, height, [fs for fs, _ in kept], [path for _, path in kept])
        yield list(zip(part, pictures)), kept


def iter_keyframes(info: MediaInfo, frames: list[int], width: int, height: int,
                   per_pass: int = KEYFRAMES_PER_PASS) -> Iterator[tuple[int, np.ndarray]]:
    """``(frame, RGB (height, width, 3) picture)`` of the keyframes ``frames`` (display indices), ascending:
    ``keyframe_passes`` keeping none."""
    for pictures, _ in keyframe_passes(info, frames, width, height, per_pass=per_pass):
        yield from pictures


def _selected_frame(info: MediaInfo, frame: int, width: int, height: int, skip_nonref: bool) -> np.ndarray | None:
    """Source ``frame`` by a seek to the keyframe before it, every frame decoded up to it and only it
    scaled (selected by its timestamp); None when no frame carries that timestamp. ``skip_nonref``:
    frames no other frame refers to are not decoded (the others decode exactly as without; ``frame``
    itself may be one of them, and then is not found)."""
    tb, _, _, times = packet_index(info)
    seek = ["-copyts"]  # the container's timestamps, as packet_index has them
    if frame > 0:  # a quarter frame before it: the demuxer starts on the keyframe before
        start = float((times[frame] - times[0]) * tb) - 0.25 / float(info.fps)
        seek += ["-noaccurate_seek", "-ss", f"{max(0.0, start):.6f}"]
    skip = ["-skip_frame", "noref"] if skip_nonref else []
    args = ["-v", "error", "-nostdin", "-threads", "1", *skip, *seek, "-i", info.path, "-map", info.video_map, "-an",
            "-sn", "-vf", f"{picture_filters(info)}trim=end_pts={times[frame] + 1},select=eq(pts\\,{times[frame]}),"
            f"scale={width}:{height}:flags=area",  # trim: the stream ends after it, found or not
            "-fps_mode", "passthrough", "-frames:v", "1", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
    got = _read_rgb(args, width, height, info.path)
    return got[0] if got else None


def grab_frame(info: MediaInfo, frame: int, width: int, height: int) -> np.ndarray:
    """RGB ``(height, width, 3)`` picture of source frame ``frame`` (display index), exact: a seek to
    the keyframe before it, then the reference frames decoded up to it (only it scaled), or every
    frame where it is not one; by frame count (``decode_span``) where timestamps do not find it."""
    for skip_nonref in ((True, False) if not info.interlaced else (False,)):  # bwdif wants every field
        try:
            picture = _selected_frame(info, frame, width, height, skip_nonref)
        except (InputError, NoTimestamps):
            picture = None
        if picture is not None:
            return picture
    for idx, picture in decode_span(info, width, height, frame, frame, threads=1):
        if idx == frame:
            return picture
    raise InputError(f"decoding failed (cannot reach frame {frame})", info.path)


STORE_FILMS = 8            # films whose keyframes the store keeps (the least recently written go first)
STORE_HEIGHT_PX = 480      # height of a stored keyframe: the review's 9:16 previews (480 px high) are made of them


def store_root() -> Path:
    """The keyframe store: ``$VERTICALIZE_CACHE/keyframes`` (default ``~/.cache/verticalize/keyframes``)."""
    env = os.environ.get("VERTICALIZE_CACHE")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "verticalize") / "keyframes"


def store_folder(path: str | os.PathLike) -> Path:
    """The store's folder for the source ``path`` as it is now (resolved path, size, modification time)."""
    path = Path(path).resolve()
    st = path.stat()
    return store_root() / hashlib.sha256(f"{path}\t{st.st_size}\t{st.st_mtime_ns}".encode()).hexdigest()[:16]


class KeyframeStore:
    """Keeps the keyframes of ``info``'s decode as ``NNNNNNN.jpg`` (display index), ``height`` px high, in
    a folder built aside and renamed into the store by ``close(True)`` (an older one of the same file
    replaced; the store then keeps the ``STORE_FILMS`` newest). ``close(False)`` leaves nothing.

    The decoder writes them (``jpegs()``: a ``KeyframeJpegs`` output named by timestamp, mapped to
    frames at ``close``), so keeping them costs a scale and a JPEG per keyframe in ffmpeg, no Python
    per frame. A file without packet timestamps keeps nothing."""

    def __init__(self, info: MediaInfo, height: int = STORE_HEIGHT_PX):
        try:
            _, self.index_of, keys, _ = packet_index(info)
            self.keys = set(keys)
        except NoTimestamps:
            self.index_of, self.keys = {}, set()
        self.path = info.path
        self.height = height
        self.building: Path | None = None

    def jpegs(self) -> KeyframeJpegs | None:
        """The decoder output that writes the keyframes into the folder being built; None: none kept."""
        if not self.keys:
            return None
        try:
            store_root().mkdir(parents=True, exist_ok=True)
            self.building = Path(tempfile.mkdtemp(prefix=".building-", dir=store_root()))
            (self.building / "pts").mkdir()
        except OSError:
            return None  # a store is a saving, never a failure
        return KeyframeJpegs(self.building / "pts", self.height)

    def close(self, ok: bool) -> None:
        building, self.building = self.building, None
        if building is None:
            return
        try:
            if not ok:
                return
            for p in (building / "pts").iterdir():  # <pts>.jpg -> <frame>.jpg, keyframes of the index only
                try:
                    frame = self.index_of.get(int(p.stem)) if p.suffix == ".jpg" else None
                except ValueError:
                    frame = None
                if frame in self.keys:
                    os.replace(p, building / f"{frame:07d}.jpg")
            shutil.rmtree(building / "pts")
            folder = store_folder(self.path)
            if folder.exists():
                os.replace(folder, building.with_name(building.name + ".old"))
            os.replace(building, folder)
            films = sorted((p for p in store_root().iterdir() if not p.name.startswith(".")),
                           key=lambda p: p.stat().st_mtime, reverse=True)
            for old in films[STORE_FILMS:]:
                shutil.rmtree(old, ignore_errors=True)
            for left in store_root().glob(".building-*"):  # of a killed analysis, a day ago or more
                if time.time() - left.stat().st_mtime > 86400:
                    shutil.rmtree(left, ignore_errors=True)
        except OSError:
            pass  # a store is a saving, never a failure
        finally:
            shutil.rmtree(building, ignore_errors=True)
            shutil.rmtree(building.with_name(building.name + ".old"), ignore_errors=True)


def stored_keyframes(info: MediaInfo) -> dict[int, Path]:
    """Frame -> picture file of the keyframes the store holds for ``info``'s file as it is now."""
    try:
        folder = store_folder(info.path)
        return {int(p.stem): p for p in folder.iterdir() if p.suffix == ".jpg" and p.stem.isdigit()}
    except (OSError, ValueError):
        return {}


def read_stored(path: Path, width: int, height: int) -> np.ndarray:
    """RGB ``(height, width, 3)`` uint8 of a stored keyframe (averaged down, or up, to that size)."""
    from PIL import Image

    with Image.open(path) as img:
        img.draft("RGB", (width, height))  # a JPEG decodes at 1/2, 1/4 or 1/8 size where that is still enough
        img = img.convert("RGB")
        if img.size != (width, height):
            img = img.resize((width, height), Image.Resampling.BOX)
        return np.asarray(img)


def picture_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a picture file from its header; None when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.size
    except OSError:
        return None


def jpeg_film(pictures: Sequence[Path], fps: Fraction, out: Path) -> Path:
    """``out``: a Matroska film of the JPEG ``pictures`` (all of one size), one per 1/``fps`` s, in
    order, as raw video in the video range (yuv420p) as a source film is: JPEG's full range would
    change what the render's pad fill (``eq``) makes of it."""
    folder = out.with_suffix(".pictures")
    folder.mkdir()
    for k, p in enumerate(pictures):
        os.symlink(Path(p).resolve(), folder / f"{k:07d}.jpg")
    args = ["-v", "error", "-nostdin", "-y", "-f", "image2", "-framerate", f"{fps.numerator}/{fps.denominator}",
            "-start_number", "0", "-i", str(folder / "%07d.jpg"), "-vf", "scale=out_range=tv,format=yuv420p",
            "-c:v", "rawvideo", "-f", "matroska", str(out)]
    proc = run(args)
    shutil.rmtree(folder, ignore_errors=True)
    if proc.returncode != 0:
        raise InputError("stored keyframes: " + first_error_line(proc.stderr, f"exit code {proc.returncode}"), out)
    return out


def read_video(path: str | os.PathLike, width: int, height: int) -> list[np.ndarray]:
    """Every frame of the (small) video ``path`` as RGB ``(height, width, 3)`` uint8, in order."""
    path = Path(path)
    args = ["-v", "error", "-nostdin", "-threads", "1", "-i", str(path), "-map", "0:v:0", "-an", "-sn",
            "-fps_mode", "passthrough", "-vf", f"scale={width}:{height}:flags=area", "-pix_fmt", "rgb24",
            "-f", "rawvideo", "pipe:1"]
    return _read_rgb(args, width, height, path)

