"""The single analysis pass: decode once at low resolution, feed every detector, build the plan."""
from __future__ import annotations

import logging
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from edit.audio import SAMPLE_RATE, speech_spans
from edit.episodes import Line, Signals, add_recaps, clear_of_dissolves, cut_hooks, hook_score, plan_episodes
from edit.shots import ShotDetector
from reframe.bars import scale_box
from subtitles import load_tracks
from verticalize.errors import InputError, NoTimestamps
from verticalize.media.decode import AudioDecode, decode_frames, decode_indexed_parallel, decode_span
from verticalize.media.probe import MediaInfo, analysis_size, frame_pts, frame_times, probe
from verticalize.media.thumbs import KeyframeStore
from verticalize.options import DEFAULTS, Options, check_options
from verticalize.plan import Plan, crop_size_for, times_from_pts

log = logging.getLogger(__name__)


def crop_size(info: MediaInfo, width: int, height: int) -> tuple[int, int]:
    """Largest source window with the target aspect ratio, even-sized, full height where possible."""
    return crop_size_for(info.width, info.height, width, height)


def source_geometry(info: MediaInfo) -> dict:
    """What the plan records of how the picture is shown, where it is not plain: the stored size,
    the display rotation (degrees), the sample aspect ratio, deinterlacing, a late video start, and
    which video stream is the picture (``0:v:K``, where stream 0 is a cover or a still track)."""
    out = {}
    if (info.coded_width, info.coded_height) != (info.width, info.height):
        out["coded_width"], out["coded_height"] = info.coded_width, info.coded_height
    if info.rotation:
        out["rotation"] = info.rotation
    if info.sar != 1:
        out["sar"] = f"{info.sar.numerator}/{info.sar.denominator}"
    if info.interlaced:
        out["deinterlace"] = "bwdif"
    if info.start_s:
        out["video_start_s"] = str(info.start_s)
    if info.video_stream:
        out["video_stream"] = info.video_stream
    return out


def text_core(boxes: list, cell_px: float) -> tuple[float, float] | None:
    """(x0, x1) source px of the text lines ``boxes`` without the one-cell margin the detector
    adds on each side (``cell_px``: a detector cell in source px), or None without text: the
    strokes themselves, which a crop must hold; the margin is kept where it fits."""
    if not boxes:
        return None
    x0, x1 = min(b[0] for b in boxes) + cell_px, max(b[2] for b in boxes) - cell_px
    return (x0, x1) if x1 > x0 else None


def cues_in_frames(tracks, fps: Fraction, times=None, video_start_s: Fraction = Fraction(0)) -> list[Line]:
    """Every cue of every track as frames ``[start, end)`` (``times``: exact frame starts, VFR;
    ``video_start_s``: the video's first frame in the file's time, where cue times count from)."""
    cues = []
    if not tracks:
        return cues
    from subtitles import cue_frame_spans
    from subtitles.retime import shifted

    for track in tracks.values():
        track = shifted(track, -int(round(video_start_s * 1000)))
        for (s, e), cue in zip(cue_frame_spans(track, fps, times), track.cues):
            if e > s:
                cues.append(Line(s, e, cue.text))
    cues.sort(key=lambda c: (c.start, c.end))
    return cues


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="f", disable=not sys.stderr.isatty() or bool(os.environ.get("CI")),
                leave=False)


SCAN_MIN_CHUNK_S = 15.0  # the shot scan's shortest decode chunk, s (each chunk is an ffmpeg start-up)


def detect_scenes(path: str | os.PathLike, opts: Options = DEFAULTS, *, details: bool = False, fast: bool = True):
    """(fps, cuts, frame_count) of a video: the shot detector alone.

    With ``details=True``, a ``SceneScan`` instead: cuts, gradual ``transitions``
    as (start, end) frame pairs, flashes, per-cut strength, and for
    variable-frame-rate input the presentation time of every frame.

    ``fast`` (the default): decode only the intra and P-frames, small, without
    deblocking, in keyframe-aligned chunks on every core
    (``verticalize.media.probe.decode_indexed_parallel(skip="bidir")``), a third or less of
    the decoding work of the full pass; the detector fills the skipped frames in,
    and every hard cut not already between two decoded frames is re-decoded
    exactly around it, so cuts stay frame-exact. Gradual-transition spans are
    then +-1 frame or so; a transition shorter than the gaps may come back as a
    cut inside it.
    """
    from edit.shots import SceneScan

    info = probe(path)
    det = ShotDetector.from_options(float(info.fps), opts)
    cuts: list[int] = []
    n = 0
    decoded: list[int] = []
    if fast:
        aw, ah = analysis_size(info, min(opts.analysis_width_px, 192))
        frames = decode_indexed_parallel(info, aw, ah, skip="bidir", min_chunk_s=SCAN_MIN_CHUNK_S)
    else:
        aw, ah = analysis_size(info, opts.analysis_width_px)
        frames = enumerate(decode_frames(info, aw, ah))
    try:
        with _progress(info.frame_count, Path(path).name) as bar:
            for i, frame in frames:
                cuts += det.process_frame(i, frame)
                decoded.append(i)
                bar.update(i + 1 - n)
                n = i + 1
    except NoTimestamps as e:
        if not fast:
            raise
        log.info("%s: %s; scanning every frame instead", path, e)  # no usable timestamps: the full pass
        return detect_scenes(path, opts, details=details, fast=False)
    if fast:
        n = max(n, info.frame_count)
        cuts += det.flush(n)
    else:
        cuts += det.flush()
    strength = dict(det.cut_strength)
    if fast:
        cuts = refine_cuts(info, aw, ah, cuts, decoded, det.transitions, strength, n)
    if not details:
        return info.fps, cuts, n
    times = frame_times(info)[:n] if info.vfr else None
    return SceneScan(info.fps, n, cuts, list(det.transitions), list(det.flashes), strength, info.vfr, times)


def cut_gap(decoded: list[int], c: int, n: int) -> tuple[int, int] | None:
    """The decoded frames (lo, hi) around a cut reported at ``c`` on a frame-skipping scan, or None
    when both sides of the cut were decoded (``decoded``: sorted; ``n``: frames in all)."""
    import bisect

    j = bisect.bisect_left(decoded, c)
    if j < len(decoded) and decoded[j] == c and j > 0 and decoded[j - 1] == c - 1:
        return None  # both sides of the cut were decoded: exact
    lo = decoded[j - 1] if j > 0 else 0
    hi = decoded[j] if j < len(decoded) else n - 1
    return lo, hi


def exact_cut(info: MediaInfo, width: int, height: int, lo: int, hi: int) -> int | None:
    """The frame in ``lo + 1..hi`` after the largest content change, decoding ``lo..hi`` in full
    at ``width`` x ``height``; None when those frames cannot all be decoded."""
    from edit.shots import content_score, frame_features

    try:
        exact = [(i, frame_features(f)) for i, f in decode_span(info, width, height, lo, hi, threads=1)]
    except InputError:
        return None
    if [i for i, _ in exact] != list(range(lo, hi + 1)) or len(exact) < 2:
        return None
    best = max(range(1, len(exact)), key=lambda q: content_score(exact[q - 1][1], exact[q][1]))
    return exact[best][0]


def refine_cuts(info: MediaInfo, width: int, height: int, cuts: list[int], decoded: list[int],
                transitions, strength: dict[int, float], n: int, workers: int = 2,
                known: dict | None = None) -> list[int]:
    """Make cuts found on a frame-skipping scan frame-exact.

    A hard cut reported at decoded frame ``c`` whose previous decoded frame is
    not ``c - 1`` may lie anywhere in the skipped gap: the gap is decoded in
    full (``workers`` ffmpeg processes at once; ``exact_cut``) and the cut moved to the largest
    content change in it. Cuts inside gradual ``transitions`` are left alone.
    ``strength`` (cut -> score) is re-keyed in place. ``decoded`` is sorted.
    ``known``: (lo, hi) gap -> a future of ``exact_cut``'s answer, started during the scan.
    """
    from concurrent.futures import ThreadPoolExecutor

    inside = {c for s, e in transitions for c in range(s, e + 1)}
    todo = []
    for k, c in enumerate(cuts):
        if c in inside or (gap := cut_gap(decoded, c, n)) is None:
            continue
        todo.append((k, *gap))
    known = known or {}
    cuts = list(cuts)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [known.get((lo, hi)) or pool.submit(exact_cut, info, width, height, lo, hi)
                       for _, lo, hi in todo]
            found = [f.result() for f in futures]
        for (k, _, _), new in zip(todo, found):
            c = cuts[k]
            if new is not None and new != c and new not in strength:
                strength[new] = strength.pop(c)
                cuts[k] = new
    return cuts


def face_share_per_frame(detections: dict[int, list], n: int, source_width: int) -> np.ndarray:
    """Largest face width / frame width, held from each sampled frame to the next (0..1)."""
    share = np.zeros(n, np.float32)
    frames = sorted(f for f in detections if f < n)
    for k, f in enumerate(frames):
        end = frames[k + 1] if k + 1 < len(frames) else n
        boxes = detections[f]
        share[f:end] = max((b[2] for b in boxes), default=0) / source_width
    return share


class FaceStage:
    """Faces, persons and mouths (mediapipe) on a worker thread beside the main thread's detectors.

    mediapipe runs its graphs on threads of its own and its Python call releases the GIL while it
    waits, as do the numba kernels of the shot, saliency, bar and text detectors: with this stage
    the two overlap instead of taking turns, and the caller never waits for a face (only for room
    in the queue). The worker takes the frames in order and makes every sampling decision itself,
    so the samples are the ones an inline loop takes:

    * faces at ``opts.face_fps``; a still picture (almost no pixel changed since the last sample)
      at ``face_still_fps``; a picture where no face was seen for ``face_idle_after_s`` at
      ``face_idle_fps``, until a face or a jump as large as a cut's (the shot detector's content
      score, ``put``'s ``jump``) shows up (a new shot gets ``face_idle_after_s`` at the full rate);
    * persons (``persons``) on face samples that found no face, at their own rate;
    * mouths where the last face sample found faces that cannot share the crop (``crop_width``
      source px apart), at ``opts.mouth_fps``.
    """

    QUEUE_FRAMES = 48  # frames waiting for the worker at most (about 12 MB at 384x216)

    def __init__(self, faces, persons, info: MediaInfo, crop_width: int, opts: Options = DEFAULTS):
        import queue
        import threading

        fps = float(info.fps)
        self.faces, self.persons, self.info, self.crop_width, self.opts = faces, persons, info, crop_width, opts
        self.still_every = max(1, int(round(fps / opts.face_still_fps)))
        self.idle_every = max(1, int(round(fps / opts.face_idle_fps)))
        self.idle_after = int(round(fps * opts.face_idle_after_s))
        self.mouth_every = max(1, int(round(fps / opts.mouth_fps)))
        self.mouths = None
        self.busy_s = 0.0  # wall seconds the worker spent on its frames
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="faces", daemon=True)
        self._thread.start()

    def put(self, index: int, frame: np.ndarray, jump: float = 0.0) -> None:
        """Queue frame ``index`` (RGB, read-only, not reused by the caller); ``jump``: the shot
        detector's content score (0..1) of the frame. Raises what the worker raised."""
        if self._error is not None:
            raise self._error
        self._queue.put((index, frame, jump))

    def close(self) -> None:
        """Wait for the queued frames, stop the worker, and raise what it raised."""
        self._queue.put(None)
        self._thread.join()
        if self.mouths is not None:
            self.mouths.close()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        from reframe.saliency import changed_fraction, luma_motion

        faces, opts = self.faces, self.opts
        last_face = -self.still_every
        last_seen = 0  # last sampled frame with a face (or the start)
        jump = 0.0     # largest content score since the last face sample
        ref_luma = None
        apart, boxes, mouth_due = False, [], 0
        while (job := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain until close()
            index, frame, score = job
            try:
                t = time.perf_counter()
                if ref_luma is None:
                    ref_luma = np.zeros(frame.shape[:2], np.float32)  # the first frame is compared with black
                jump = max(jump, score)
                luma = []  # this frame's luma, computed at most once: for the still test, then kept

                def changed() -> float:
                    luma.append(luma_motion(frame)[0])
                    return changed_fraction(luma[0], ref_luma)

                if faces.wants(index) and face_sample_due(index, last_face, last_seen, self.still_every,
                                                           self.idle_every, self.idle_after, jump, changed, opts):
                    if jump >= opts.shot_min_score:
                        last_seen = index  # maybe a new shot: it gets face_idle_after_s at the full rate
                    jump = 0.0
                    faces.claim(index)
                    faces.detect(index, frame)
                    boxes = faces.detections[index]
                    if boxes:
                        last_seen = index
                    elif self.persons.wants(index):
                        self.persons.process_frame(index, frame)
                    ref_luma = luma[0] if luma else luma_motion(frame)[0]
                    last_face = index
                    apart = len(boxes) >= 2 and (max(b[0] + b[2] for b in boxes) - min(b[0] for b in boxes)
                                                 > self.crop_width - 4)
                if apart and index >= mouth_due:  # faces that cannot share the crop: who speaks?
                    from reframe.speakers import MouthSampler

                    if self.mouths is None:
                        self.mouths = MouthSampler(self.info.width, self.info.height)
                    self.mouths.process_frame(index, frame, boxes)
                    mouth_due = (index // self.mouth_every + 1) * self.mouth_every
                self.busy_s += time.perf_counter() - t
            except BaseException as e:  # handed to put() and close()
                self._error = e


def _scan(info: MediaInfo, opts: Options, aw: int, ah: int, cw: int, fast: bool):
    """Decode once and feed every frame detector; returns (n, cuts, det, sal, faces, persons, audio, seconds)."""
    from edit.audio import AudioAnalyzer
    from reframe.faces import FaceSampler
    from reframe.persons import PersonSampler
    from reframe.saliency import SaliencyTracker
    from reframe.subject import SUBJECT_WEIGHTS
    from reframe.bars import BorderDetector
    from reframe.text import TextDetector
    from concurrent.futures import ThreadPoolExecutor

    fps = info.fps
    det = ShotDetector.from_options(float(fps), opts)
    sal = SaliencyTracker(aw, ah, cw / info.width, info.width,
                          tuple(SUBJECT_WEIGHTS[k] for k in ("contrast", "rarity", "motion", "focus")), opts.subject_threshold_std,
                          blur_gate=SUBJECT_WEIGHTS["blur_gate"])
    bars = BorderDetector(aw, ah)
    text = TextDetector(aw, ah, every=max(1, int(round(float(fps) / opts.text_fps))))
    every = max(1, int(round(float(fps) / opts.face_fps)))
    faces = FaceSampler(every, info.width, info.height, opts.face_min_confidence)
    persons = PersonSampler(max(1, int(round(float(fps) / opts.person_fps))), info.width)
    audio = AudioAnalyzer(SAMPLE_RATE, fps) if info.has_audio else None
    audio_decode = AudioDecode(info, SAMPLE_RATE, audio.feed).start() if audio is not None else None
    store = KeyframeStore(info)  # the keyframes decoded here, kept for the review page (the decoder writes them)
    if fast:  # intra and P-frames only, in parallel keyframe chunks; cuts refined below
        frames = decode_indexed_parallel(info, aw, ah, skip="bidir", keyframes_to=store.jpegs())
    else:
        frames = enumerate(decode_frames(info, aw, ah, keyframes_to=store.jpegs()))
    cuts: list[int] = []
    n = 0
    stage = FaceStage(faces, persons, info, cw, opts)
    scanned = False
    refiner = ThreadPoolExecutor(max_workers=1)
    gaps: dict = {}  # (lo, hi) -> future of exact_cut, for refine_cuts
    try:
        with _progress(info.frame_count, Path(info.path).name) as bar:
            for i, frame in frames:
                found = det.process_frame(i, frame)
                cuts += found
                sal.process_frame(i, frame)
                if fast:  # a cut in a skipped gap: decode the gap now, beside the scan, not after it
                    for c in found:
                        if (gap := cut_gap(sal.indices, c, info.frame_count)) is not None and gap not in gaps:
                            gaps[gap] = refiner.submit(exact_cut, info, aw, ah, *gap)
                bars.process_frame(i, frame)
                if text.wants(i):
                    text.process_frame(i, frame)
                stage.put(i, frame, det.scores[i])
                bar.update(i + 1 - n)
                n = i + 1
        if audio_decode is not None:
            audio_decode.join()
        scanned = True
    except BaseException:
        refiner.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        try:
            stage.close()
        finally:
            store.close(scanned)
            faces.close()
            persons.close()
            if audio_decode is not None:
                audio_decode.stop()
    if fast:
        n = max(n, info.frame_count)  # trailing B-frames were skipped
        cuts += det.flush(n)
        cuts = refine_cuts(info, aw, ah, cuts, sal.indices, det.transitions, det.cut_strength, n, known=gaps)
    else:
        cuts += det.flush()
    refiner.shutdown()
    mouths = stage.mouths.samples if stage.mouths is not None else {}
    return n, cuts, det, sal, faces, persons, audio, stage.busy_s, mouths, bars, text


def face_sample_due(i: int, last_face: int, last_seen: int, still_every: int, idle_every: int, idle_after: int,
                     jump: float, changed, opts: Options) -> bool:
    """Whether frame ``i`` (due at the face rate) gets a face sample.

    ``changed()``: the share of pixels changed since the last sample (computed only when needed);
    ``jump``: the largest shot-detector content score (0..1) since the last sample.
    A still picture waits ``still_every`` frames between samples; an idle one (no face sampled
    for ``idle_after`` frames) waits ``idle_every`` frames unless a jump as large as a cut's
    (``opts.shot_min_score``) may have brought a new view.
    """
    gap = i - last_face
    if i - last_seen >= idle_after:
        return gap >= idle_every or jump >= opts.shot_min_score
    return gap >= still_every or changed() > opts.face_still_change


def analyze(path: str | os.PathLike, subtitles: dict[str, str] | None = None, opts: Options = DEFAULTS) -> Plan:
    """Decode ``path`` once and return the plan: shots, crop path per frame, episodes.

    The decode skips B-frames (``opts.analysis_skip_frames``): shots, saliency and
    faces run on the intra and P-frames, the per-frame signals are filled in
    within each shot, and every cut is made frame-exact by re-decoding the gap
    it fell in. Audio is decoded alongside by a second ffmpeg process and
    analysed as it streams.
    """
    from reframe.path import solve_path

    check_options(opts)
    t0 = time.perf_counter()
    info = probe(path)
    tracks = load_tracks(subtitles)
    fps = info.fps
    cw, ch = crop_size(info, opts.width, opts.height)
    aw, ah = analysis_size(info, opts.analysis_width_px)
    fast = opts.analysis_skip_frames
    try:
        n, cuts, det, sal, faces, persons, audio_an, t_faces, mouths, bars, text = _scan(info, opts, aw, ah, cw, fast)
    except NoTimestamps as e:
        if not fast:
            raise
        log.info("%s: %s; decoding every frame instead", path, e)  # no usable timestamps: the full pass
        fast = False
        n, cuts, det, sal, faces, persons, audio_an, t_faces, mouths, bars, text = _scan(info, opts, aw, ah, cw, fast)
    every = faces.every
    if not fast and n != info.frame_count:
        log.warning("%s: decoded %d frames, the container lists %d; using %d", path, n, info.frame_count, n)
    t_decode = time.perf_counter() - t0
    t_audio = time.perf_counter()
    audio = audio_an.finish(n) if audio_an is not None else None
    t_audio = time.perf_counter() - t_audio
    centres, motion = sal.per_frame(n, cuts)

    bounds = [0] + [c for c in cuts if 0 < c < n] + [n]
    shot_spans = list(zip(bounds[:-1], bounds[1:]))
    # bars and burned-in text, in source pixels: the crop stays in the active picture (one crop size,
    # from the film's), a shot's own narrower picture confines its x, and titles are kept whole
    analysed, shown = (aw, ah), (info.width, info.height)
    film = scale_box(bars.film_box(), analysed, shown)
    cw, ch = crop_size_for(film[2] - film[0], film[3] - film[1], opts.width, opts.height)
    actives, texts = [], []
    for s, e in shot_spans:
        box = bars.active_box(s, e)
        actives.append(scale_box(box, analysed, shown))
        texts.append([scale_box(b, analysed, shown, inward=False) for b in text.text_boxes(s, e, within=box)])
    turns: list = []
    subjects: list = []
    x, modes = solve_path(shot_spans, faces.detections, centres, info.width, cw, float(fps), opts,
                          persons=persons.spans, mouths=mouths, turns=turns,
                          saliency_widths=sal.extent_per_frame(n, cuts),
                          x_ranges=[(a[0], a[2]) for a in actives],
                          text_extents=[text_core(t, text.cell * info.width / aw) for t in texts],
                          subjects=subjects)
    y0 = film[1] + (film[3] - film[1] - ch) // 2
    crop = {"x": [int(v) for v in x], "y": [y0] * n, "w": [cw] * n, "h": [ch] * n}
    for (s, e), mode, (ax0, ay0, ax1, ay1) in zip(shot_spans, modes, actives):
        if mode == "pad":  # the active picture becomes the output, over a blurred fill of itself
            crop["x"][s:e] = [ax0] * (e - s)
            crop["y"][s:e] = [ay0] * (e - s)
            crop["w"][s:e] = [ax1 - ax0] * (e - s)
            crop["h"][s:e] = [ay1 - ay0] * (e - s)
    source = {"path": str(Path(path).resolve()), "width": info.width, "height": info.height,
              "fps": f"{fps.numerator}/{fps.denominator}", "frame_count": n, "has_audio": info.has_audio,
              **source_geometry(info)}
    if film != (0, 0, info.width, info.height):
        source["active"] = list(film)
    times = None
    if info.vfr:  # exact timestamps for the renderer and the subtitles

        tb, pts = frame_pts(info)
        while len(pts) < n:  # more frames decoded than packets listed: one more step each
            pts.append(pts[-1] + (pts[-1] - pts[-2] if len(pts) > 1 else max(1, int(1 / (fps * tb)))))
        pts = pts[:n]
        source.update(vfr=True, time_base=f"{tb.numerator}/{tb.denominator}", frame_pts=pts)
        times = times_from_pts(pts, tb, fps)
    cue_list = cues_in_frames(tracks, fps, times, info.start_s)
    cut_scores = dict(det.cut_strength)
    signals = Signals(fps, n, cuts, cue_list, cut_scores,
                      loudness=None if audio is None else audio.loudness_lufs,
                      loudness_fast=None if audio is None else audio.loudness_fast,
                      speech=None if audio is None else audio.speech,
                      motion=motion,
                      face_share=face_share_per_frame(faces.detections, n, info.width))
    episodes = plan_episodes(n, fps, cuts, cut_scores, cue_list, opts.episode_min_s, opts.episode_max_s,
                             opts.episodes, signals, opts.first_episode_min_s, strict=opts.strict_boundaries)
    hooks = cut_hooks(signals)  # every cut's cliffhanger features: what a teaser is cut from
    episode_dicts = [{"index": e.index, "start": e.start, "end": e.end, "score": e.score, "reasons": e.reasons}
                     for e in episodes]
    # a dissolve's midpoint is a blend of two shots: end and start on its clean edges instead
    flat = lambda s, e: not 20.0 <= sal.brightness_at((s + e) // 2) <= 235.0   # a dip to black or white
    spoken = cue_list + ([Line(a, b, "") for a, b in speech_spans(audio.speech)] if audio is not None else [])
    clear_of_dissolves(episode_dicts, det.transitions, lambda s, e: not flat(s, e), spoken,
                       int(opts.episode_min_s * float(fps)))
    add_recaps(episode_dicts, fps, opts.recap_s)
    return Plan(
        source=source,
        target={"width": opts.width, "height": opts.height},
        shots=[{"start": s, "end": e, "mode": m, "subject": sj, **({"speakers": [list(t) for t in tt]} if tt else {}),
                **({"active": list(a)} if a != film else {}), **({"text": [list(b) for b in tb]} if tb else {})}
               for (s, e), m, sj, tt, a, tb in zip(shot_spans, modes, subjects, turns, actives, texts)],
        crop=crop,
        episodes=episode_dicts,
        extras={"recap_s": opts.recap_s, "free_episodes": opts.free_episodes, "title_card": opts.title_card},
        subtitles={lang: str(Path(p).resolve()) for lang, p in (subtitles or {}).items()},
        transitions=[[int(a), int(b)] for a, b in det.transitions],
        analysis={"analysis_size": [aw, ah], "face_every_frames": every, "frames_decoded": len(sal.indices),
                  "faces_sampled": len(faces.detections),
                  "frames_with_faces": sum(1 for v in faces.detections.values() if v),
                  "persons_sampled": len(persons.spans),
                  "mouths_sampled": len(mouths),
                  "frames_with_persons": sum(1 for v in persons.spans.values() if v),
                  "hooks": [[c, round(score, 3), *sorted(f, key=lambda k: -f[k])]
                            for c, f in sorted(hooks.items()) if (score := hook_score(f)) > 0],
                  "speech": [] if audio is None else [list(sp) for sp in speech_spans(audio.speech)],
                  "faces": {str(f): [list(b[:4]) + [round(b[4], 3)] for b in boxes]
                            for f, boxes in sorted(faces.detections.items()) if boxes},
                  "seconds": {"decode_and_signals": round(t_decode, 3), "faces": round(t_faces, 3), "audio": round(t_audio, 3),
                              "total": round(time.perf_counter() - t0, 3)}},
    )
