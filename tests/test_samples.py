"""The generated sample footage (samples/make_samples.py) agrees with its own ground truth.

Checks the container/stream format, the frame count, that every cut is a hard cut, that
static shots are still, that mediapipe's full-range detector finds the annotated faces,
that no-face shots have none, the subtitle files and the audio layout.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
W, H = 1920, 1080
SMALL = (480, 270)  # decoded size for frame-difference checks


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def short():
    """The 30-second sample (built by the same cached generator)."""
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), "--name", "short"], check=True)
    return {
        "video": SAMPLES / "short.mp4",
        "truth": json.loads((SAMPLES / "short.truth.json").read_text()),
        "subs": {"en": SAMPLES / "subs" / "short.en.srt"},
    }


@pytest.fixture(scope="session", params=["drama", "short"])
def sample(request):
    return request.getfixturevalue(request.param)


def _shot_of(truth: dict, n: int) -> dict:
    return next(s for s in truth["shots"] if s["start"] <= n < s["end"])


def _centre(box):
    x, y, w, h = box
    return x + w / 2, y + h / 2


# -- probing -----------------------------------------------------------------------------


def _probe(video: Path) -> str:
    """ffmpeg's stream description (there is no ffprobe)."""
    return subprocess.run([_ffmpeg(), "-hide_banner", "-i", str(video)], capture_output=True, text=True).stderr


def _count_frames(video: Path) -> int:
    out = subprocess.run([_ffmpeg(), "-hide_banner", "-i", str(video), "-map", "0:v", "-c", "copy", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return int(re.findall(r"frame=\s*(\d+)", out)[-1])


def _decode(video: Path, frames: list[int], size: tuple[int, int] | None = None):
    """Yield (n, rgb array) for the given frame indices, in ascending order, in one decode pass."""
    frames = sorted(set(frames))
    w, h = size or (W, H)
    runs: list[list[int]] = []  # consecutive frames -> one between() term
    for n in frames:
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    terms = [f"between(n\\,{a}\\,{b})" for a, b in runs]
    # ffmpeg's expression parser nests ~100 terms at most: select in groups and interleave.
    groups = ["+".join(terms[i : i + 60]) for i in range(0, len(terms), 60)]
    k = len(groups)
    graph = f"[0:v]split={k}" + "".join(f"[s{i}]" for i in range(k)) + ";"
    graph += "".join(f"[s{i}]select='{g}'[o{i}];" for i, g in enumerate(groups))
    graph += "".join(f"[o{i}]" for i in range(k)) + (f"interleave=nb_inputs={k}" if k > 1 else "null")
    graph += (f",scale={w}:{h}:flags=area" if size else "") + "[out]"
    cmd = [_ffmpeg(), "-v", "error", "-i", str(video), "-filter_complex", graph, "-map", "[out]",
           "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        for n in frames:
            buf = proc.stdout.read(w * h * 3)
            assert len(buf) == w * h * 3, f"frame {n} could not be decoded"
            yield n, np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close()
        proc.wait()


def _top_level_boxes(path: Path) -> list[str]:
    boxes, pos, size = [], 0, path.stat().st_size
    with open(path, "rb") as f:
        while pos < size:
            f.seek(pos)
            head = f.read(16)
            n, kind = int.from_bytes(head[:4], "big"), head[4:8].decode("latin-1")
            if n == 1:
                n = int.from_bytes(head[8:16], "big")
            boxes.append(kind)
            if n == 0:
                break
            pos += n
    return boxes


# -- truth ---------------------------------------------------------------------------------


def test_truth_is_consistent(sample):
    t = sample["truth"]
    assert (t["width"], t["height"], t["fps"]) == (W, H, "30/1")
    shots = t["shots"]
    assert shots[0]["start"] == 0 and shots[-1]["end"] == t["frame_count"]
    assert all(a["end"] == b["start"] for a, b in zip(shots, shots[1:]))
    assert t["cuts"] == [s["start"] for s in shots[1:]]
    assert all(120 <= s["end"] - s["start"] <= 480 for s in shots)
    assert len(t["faces"]) == t["frame_count"]
    assert set(t["cuts_inside_cues"]) <= set(t["cuts"]) and t["cuts_inside_cues"]
    assert set(t["stings"]) <= set(t["cuts"])
    # planted hooks: a sting before a cut that no cue crosses, a question line ending in the
    # 3 s before it, and no line in the second after it
    assert t["cliffhangers"] == [c for c in t["stings"] if c not in t["cuts_inside_cues"]]
    assert t["cliffhangers"]
    fps = 30
    for c in t["cliffhangers"]:
        c_ms = c * 1000 // fps
        assert not any(a < c_ms < b for a, b in t["cues_ms"])
        before = [b for a, b in t["cues_ms"] if b <= c_ms]
        assert before and c_ms - max(before) <= 3000
        assert not any(c_ms <= a < c_ms + 1000 for a, b in t["cues_ms"])
    kinds = {s["kind"] for s in shots}
    assert {"pan_face", "static_face_offcentre", "dialogue", "no_face"} <= kinds
    for s in shots:
        counts = {len(t["faces"][n]) for n in range(s["start"], s["end"])}
        expected = {"dialogue": 2, "no_face": 0}.get(s["kind"], 1)
        assert counts == {expected}, s
        assert s["subject"] == ("none" if expected == 0 else "moving" if s["kind"] == "pan_face" else "still")
    for boxes in t["faces"]:
        for x, y, w, h in boxes:
            assert 0 <= x and x + w <= W and 0 <= y and y + h <= H
            assert 150 <= w <= 280 and w == h
    for s in shots:
        if s["kind"] == "dialogue":
            (l, _, lw, _), (r, _, rw, _) = sorted(t["faces"][s["start"]])
            assert r + rw - l > 608, "both faces of a dialogue must not fit one 9:16 crop"
        if s["kind"] == "pan_face":
            x0 = _centre(t["faces"][s["start"]][0])[0]
            x1 = _centre(t["faces"][s["end"] - 1][0])[0]
            assert abs(x1 - x0) >= 1000


def test_drama_shape(drama):
    t = drama["truth"]
    assert t["frame_count"] == 7200
    assert len(t["cuts"]) >= 20
    assert 3 <= len(t["cuts_inside_cues"]) <= 6
    kinds = [s["kind"] for s in t["shots"]]
    assert kinds.count("static_face") >= 1 and kinds.count("dialogue") >= 2
    assert any(s["kind"] == "no_face" and s["camera"] != "static" for s in t["shots"])
    offcentre = [_centre(t["faces"][s["start"]][0])[0] for s in t["shots"] if s["kind"] == "static_face_offcentre"]
    assert any(x > 1300 for x in offcentre) and any(x < 620 for x in offcentre)


# -- container -------------------------------------------------------------------------------


def test_streams(sample):
    info = _probe(sample["video"])
    video = next(l for l in info.splitlines() if "Video:" in l)
    audio = next(l for l in info.splitlines() if "Audio:" in l)
    assert "h264 (High)" in video and "yuv420p" in video and "1920x1080" in video
    assert re.search(r"\b30 fps\b", video) and re.search(r"\b30 tbr\b", video)
    assert "aac" in audio and "48000 Hz" in audio and "stereo" in audio
    secs = sample["truth"]["frame_count"] / 30
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info).groups()
    assert abs(int(h) * 3600 + int(m) * 60 + float(s) - secs) < 0.1


def test_faststart(sample):
    boxes = _top_level_boxes(sample["video"])
    assert boxes.index("moov") < boxes.index("mdat")


def test_frame_count_matches(sample):
    assert _count_frames(sample["video"]) == sample["truth"]["frame_count"]


# -- pixels -----------------------------------------------------------------------------------


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_cuts_are_hard_and_static_shots_still(sample):
    t = sample["truth"]
    pairs = [(c - 1, c) for c in t["cuts"]]
    still, moving = [], []
    for s in t["shots"]:
        mid = (s["start"] + s["end"]) // 2
        if s["camera"] == "static":
            still += [(s["start"], s["start"] + 1), (mid, mid + 1), (s["end"] - 2, s["end"] - 1)]
        else:
            moving.append((mid, mid + 1))
    frames = dict(_decode(sample["video"], [n for p in pairs + still + moving for n in p], SMALL))
    cut_diffs = {c: _mad(frames[a], frames[c]) for a, c in pairs}
    still_diffs = [_mad(frames[a], frames[b]) for a, b in still]
    moving_diffs = [_mad(frames[a], frames[b]) for a, b in moving]
    assert min(cut_diffs.values()) > 30, cut_diffs
    assert max(still_diffs) < 1.5, still_diffs
    assert max(moving_diffs) < 25, moving_diffs  # pans move, but far less than a cut


@pytest.fixture(scope="session")
def detector():
    mp = pytest.importorskip("mediapipe")
    det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    yield det
    det.close()


def _detect(det, rgb: np.ndarray) -> list[tuple[float, float, float]]:
    res = det.process(np.ascontiguousarray(rgb))
    out = []
    for d in res.detections or []:
        bb = d.location_data.relative_bounding_box
        out.append(((bb.xmin + bb.width / 2) * W, (bb.ymin + bb.height / 2) * H, d.score[0]))
    return out


def test_mediapipe_finds_the_annotated_faces(sample, detector):
    t = sample["truth"]
    wanted = {}
    for s in t["shots"]:
        a, b = s["start"], s["end"]
        picks = [a + 4, a + (b - a) // 3, a + 2 * (b - a) // 3, b - 5] if s["subject"] != "none" else [(a + b) // 2]
        for n in picks:
            wanted[n] = s
    misses, false_hits, errors = [], [], []
    for n, rgb in _decode(sample["video"], list(wanted)):
        found = _detect(detector, rgb)
        boxes = t["faces"][n]
        if not boxes:
            if found:
                false_hits.append((n, found))
            continue
        for box in boxes:
            cx, cy = _centre(box)
            err = min((np.hypot(fx - cx, fy - cy) for fx, fy, _ in found), default=float("inf"))
            errors.append(err)
            if err > 30:
                misses.append((n, wanted[n]["kind"], box, found))
    assert not false_hits, f"faces found in no-face shots: {false_hits}"
    # Detection on compressed, moving footage may drop the odd frame; allow very few misses.
    assert len(misses) <= max(1, len(errors) // 25), misses
    assert np.median(errors) < 20


# -- subtitles ---------------------------------------------------------------------------------

ENCODINGS = {"en": "utf-8", "es": "utf-8", "zh-Hans": "gbk", "ja": "utf-8-sig", "ar": "utf-8"}


def test_subtitle_files(drama):
    pysubs2 = pytest.importorskip("pysubs2")
    paths = drama["subs"]
    assert paths["ja"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert not paths["en"].read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        paths["zh-Hans"].read_bytes().decode("utf-8")
    assert paths["es"].read_text(encoding="utf-8").startswith("WEBVTT")
    timings = {}
    for lang, path in paths.items():
        subs = pysubs2.load(str(path), encoding=ENCODINGS[lang])
        timings[lang] = [(e.start, e.end) for e in subs]
        assert 40 <= len(subs) <= 60, lang
        for e in subs:
            assert 1500 <= e.end - e.start <= 5000
            lines = e.plaintext.split("\n")
            limit = 16 if lang in ("zh-Hans", "ja") else 42
            assert 1 <= len(lines) <= 2 and all(len(x) <= limit for x in lines), (lang, e.plaintext)
        ends = {e.plaintext.rstrip()[-1] for e in subs}
        assert len(ends & {"?", "!", "…", "？", "！", "؟"}) >= 3, (lang, ends)
    assert all(v == timings["en"] for v in timings.values())
    assert [[s, e] for s, e in timings["en"]] == drama["truth"]["cues_ms"]


def test_cuts_inside_cues_match_the_subtitles(sample):
    t = sample["truth"]
    spanned = sorted(c for c in t["cuts"] for s, e in t["cues_ms"] if s < c * 1000 / 30 < e)
    assert spanned == t["cuts_inside_cues"]


# -- audio ---------------------------------------------------------------------------------------


def test_audio_follows_the_cues(sample):
    raw = subprocess.run([_ffmpeg(), "-v", "error", "-i", str(sample["video"]), "-map", "0:a", "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    pcm = np.frombuffer(raw, np.float32).reshape(-1, 2)[:, 0]  # left channel
    t = sample["truth"]
    assert abs(len(pcm) / 48000 - t["frame_count"] / 30) < 0.1

    def db(t0: float, t1: float) -> float:
        x = pcm[int(t0 * 48000) : int(t1 * 48000)].astype(np.float64)
        return 20 * np.log10(np.sqrt(np.mean(x * x)) + 1e-9)

    cues = t["cues_ms"]
    speech = [db(s / 1000 + 0.1, e / 1000 - 0.1) for s, e in cues]
    quiet = [db(e / 1000 + 0.1, s2 / 1000 - 0.1) for (_, e), (s2, _) in zip(cues, cues[1:])
             if s2 - e >= 800 and not any(e / 1000 < c / 30 <= s2 / 1000 for c in t["stings"])]
    stings = [db(c / 30 - 0.7, c / 30 - 0.05) for c in t["stings"]]
    assert np.median(speech) - np.median(quiet) > 10
    assert min(stings) > np.median(speech) + 3
    assert np.abs(pcm).max() < 1.0


# -- talking faces ----------------------------------------------------------------------------------


def test_speakers_follow_the_cues(sample):
    """Every dialogue shot lists both face boxes and, for each cue heard in it, one speaking side."""
    t = sample["truth"]
    dialogue = [s for s in t["shots"] if s["kind"] == "dialogue"]
    speakers = t["speakers"]
    assert [(s["start"], s["end"]) for s in speakers] == [(s["start"], s["end"]) for s in dialogue]
    for s in speakers:
        a, b = s["start"], s["end"]
        left, right = s["faces"]["left"], s["faces"]["right"]
        assert left[0] + left[2] < right[0]
        assert all(t["faces"][n] == [left, right] for n in range(a, b))
        turns = s["turns"]
        assert turns and {side for _, _, side in turns} == {"left", "right"}
        assert all(a <= f < e <= b for f, e, _ in turns)
        assert all(e1 <= f2 for (_, e1, _), (f2, _, _) in zip(turns, turns[1:]))
        # one turn per cue heard in the shot: exactly the cue's frames (n/30 s in [start, end))
        heard = [(max(a, -(-c0 * 30 // 1000)), min(b, -(-c1 * 30 // 1000))) for c0, c1 in t["cues_ms"]]
        assert [(f, e) for f, e, _ in turns] == [(f, e) for f, e in heard if f < e]


def test_only_the_speaking_mouth_moves(short):
    """In the short sample's dialogue shot the speaker's mouth opens and closes during its turn;
    the silent face and everything else stay as they were before the first turn (the face
    boxes stay exact).  Compared at 480x270, where the encoder's noise averages out."""
    s = short["truth"]["speakers"][0]
    (f0, e0, side0), (f1, e1, side1) = s["turns"]
    assert (side0, side1) == ("left", "right")
    ref = s["start"]  # before the first turn: both mouths as photographed
    assert ref < f0
    picks = [ref] + list(range(f0, f0 + 30)) + list(range(f1, f1 + 30))
    frames = dict(_decode(short["video"], picks, SMALL))
    k = SMALL[0] / W

    def zone(box):  # the face box, widened a little and reaching down past the chin
        x, y, w, h = (v * k for v in box)
        return slice(int(y + h / 3), int(y + 2 * h) + 1), slice(int(x - w / 4), int(x + w + w / 4) + 1)

    for f, e, side in s["turns"]:
        other = "right" if side == "left" else "left"
        peaks = []
        for n in [n for n in picks if f <= n < e]:
            diff = np.abs(frames[n].astype(np.int16) - frames[ref].astype(np.int16)).max(axis=2)
            mask = np.ones(diff.shape, bool)
            mask[zone(s["faces"][side])] = False
            assert diff[mask].max() < 24 and diff[mask].mean() < 2, (n, side)  # encoder noise only
            assert diff[zone(s["faces"][other])].max() < 24, (n, other)
            peaks.append(int(diff[zone(s["faces"][side])].max()))
        # a syllable rate of 3-5 Hz: within a second the mouth is open (a dark gap) and closed
        opened, closed = sum(p > 60 for p in peaks), sum(p < 24 for p in peaks)
        assert opened >= 6 and closed >= 6, peaks


def test_facemesh_sees_the_speaker_talk(short):
    """What the analysis sees: intra and P-frames at 384x216, each face box (x1.6) cropped and
    upscaled to 192x192 for mediapipe FaceMesh.  The lip gap |y14 - y13| / |y152 - y10| of the
    speaking face varies (rolling 1-s std) far more than the silent face's, in every turn."""
    mp = pytest.importorskip("mediapipe")
    import cv2

    from verticalize.media import decode_indexed, probe

    s = short["truth"]["speakers"][0]
    aw, ah = 384, 216
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1)

    def lip_gap(rgb, box):
        k = aw / W
        x, y, w, h = (v * k for v in box)
        side = 1.6 * max(w, h)
        x0, y0, n = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2)), int(round(side))
        crop = cv2.resize(np.ascontiguousarray(rgb[y0 : y0 + n, x0 : x0 + n]), (192, 192),
                          interpolation=cv2.INTER_CUBIC)
        found = mesh.process(crop).multi_face_landmarks
        if not found:
            return np.nan
        lm = found[0].landmark
        return abs(lm[14].y - lm[13].y) / abs(lm[152].y - lm[10].y)

    gaps = {}
    try:
        for n, rgb in decode_indexed(probe(short["video"]), aw, ah, skip="bidir",
                                     first=s["start"], last=s["end"] - 1):
            gaps[n] = (lip_gap(rgb, s["faces"]["left"]), lip_gap(rgb, s["faces"]["right"]))
    finally:
        mesh.close()
    assert 5 * (s["end"] - s["start"]) // 30 <= len(gaps) < (s["end"] - s["start"]) // 2  # ~8 per second
    assert not np.isnan(np.array(list(gaps.values()))).any()  # FaceMesh finds both faces every time

    def rolling_std(ns, k):  # mean over frames of the std within +-0.5 s
        return np.mean([np.std([gaps[m][k] for m in ns if abs(m - n) <= 15]) for n in ns])

    for f, e, side in s["turns"]:
        ns = sorted(n for n in gaps if f <= n < e)
        assert len(ns) >= 10
        speaking = rolling_std(ns, 0 if side == "left" else 1)
        silent = rolling_std(ns, 1 if side == "left" else 0)
        assert speaking > 0.01 and speaking > 3 * silent, (side, speaking, silent)
