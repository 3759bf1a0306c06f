"""The review page: images beside a static HTML page, the crop drawn where the plan (and its hints) put it,
9:16 previews made by the render's own graph."""
from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from verticalize.cli import main
from verticalize.errors import OptionsError
from verticalize.options import DEFAULTS
from verticalize.plan import Plan, read_plan, write_plan
from verticalize.render import RenderTask, render_episode
from verticalize.media.thumbs import read_video
from verticalize.review import CROP_RGB, HINT_RGB, pick_frames, pick_preview, review

from test_vfr_render import BITS as VFR_BITS, H as VFR_H, W as VFR_W, vfr_clip  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "samples" / "short.mp4"
SHORT_EN = ROOT / "samples" / "subs" / "short.en.srt"
W, H, N, CW = 1920, 1080, 900, 608
CUTS = [150, 300, 480, 600, 750]
XS = [None, 200, 1000, None, 656, 1312]  # per shot: static left edge (None: shot 0 pans, shot 3 is pad)
OPTS = DEFAULTS.with_(jobs=2, review_thumb_width_px=320, review_preview_height_px=320)


def short_plan(subs: bool = True) -> Plan:
    """A hand-made plan of samples/short.mp4: a pan, statics at known x, one pad shot, two episodes."""
    bounds = [0] + CUTS + [N]
    shots, xs = [], []
    for k, (s, e) in enumerate(zip(bounds, bounds[1:])):
        mode = "pan" if k == 0 else "pad" if XS[k] is None else "static"
        shots.append({"start": s, "end": e, "mode": mode})
        if k == 0:
            xs += [int(round(i * (W - CW) / (e - s - 1))) for i in range(e - s)]
        elif mode == "pad":
            xs += [0] * (e - s)
        else:
            xs += [XS[k]] * (e - s)
    crop = {"x": xs, "y": [0] * N, "w": [CW] * N, "h": [H] * N}
    for s in shots:
        if s["mode"] == "pad":
            crop["w"][s["start"]:s["end"]] = [W] * (s["end"] - s["start"])
    return Plan(source={"path": str(SHORT), "width": W, "height": H, "fps": "30/1", "frame_count": N,
                        "has_audio": True},
                target={"width": 1080, "height": 1920}, shots=shots, crop=crop,
                episodes=[{"index": 1, "start": 0, "end": 480, "score": 1.3,
                           "reasons": [{"feature": "question", "value": 1.0}, {"feature": "sting", "value": 0.5}]},
                          {"index": 2, "start": 480, "end": N, "score": 0.0,
                           "reasons": [{"feature": "boundary_in_speech", "value": 1}]}],
                subtitles={"en": str(SHORT_EN)} if subs else {}, extras={"free_episodes": 1},
                analysis={"speech": [[20, 100], [170, 250]], "faces_sampled": 150, "frames_with_faces": 120})


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self.stack = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        elif tag not in ("br", "meta", "line", "rect", "polyline", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("br", "meta", "line", "rect", "polyline", "img"):
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(index: Path) -> Page:
    page = Page()
    page.feed(index.read_text(encoding="utf-8"))
    page.close()
    assert page.stack == [], page.stack  # every element closed
    return page


def picture(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def column_colour(img: np.ndarray, x_src: float, rgb, width_px: int = 320) -> float:
    """Share of the thumbnail's rows whose pixels at source x ``x_src`` (scaled) are close to ``rgb``."""
    x = int(round(x_src * width_px / W))
    cols = img[10:-10, max(0, x - 1):x + 2]
    near = np.abs(cols - np.array(rgb)).max(axis=2) < 60
    return float(near.any(axis=1).mean())


@pytest.fixture(scope="module", autouse=True)
def keyframe_store(tmp_path_factory):
    """A keyframe store of this module's own (analyses elsewhere must not decide what a page decodes)."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("cache")
    mp.setenv("VERTICALIZE_CACHE", str(root))
    yield root / "keyframes"
    mp.undo()


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "page"
    review(short_plan(), out, OPTS)
    return out


def test_page_parses_and_every_image_it_names_exists(page_dir):
    page = parse(page_dir / "index.html")
    assert len(page.images) >= 6 + 6 + 2  # a frame or more and a preview per shot, a last frame per episode
    for src in page.images:
        assert (page_dir / src).is_file(), src
    text = " ".join(page.text)
    assert "a question; a sting" in text                   # reasons in words
    assert "cut inside speech" in text                      # the fallback boundary, warned
    assert "free" in text and "paid" in text
    assert "padded" in text                                 # the pad shot, warned
    assert not list(page_dir.parent.glob(".*.tmp"))         # no temporary folder left


def test_thumbnails_show_the_crop_where_the_plan_puts_it(page_dir):
    keyframes_of_shot_1 = pick_frames(150, 300, [0, 60, 120, 150, 210, 270])
    assert keyframes_of_shot_1 == [150, 210, 270]
    assert pick_preview(150, 300, [0, 60, 120, 150, 210, 270]) == 210          # the keyframe nearest the middle
    on_cue = np.zeros(N, bool)
    on_cue[0:160] = True
    assert pick_preview(150, 300, [0, 60, 120, 150, 210, 270], on_cue) == 150  # a cue on screen wins
    assert pick_preview(100, 110, [0, 60, 120], on_cue) == 104                 # no keyframe inside: the middle
    for f in keyframes_of_shot_1:
        img = picture(page_dir / "img" / f"f{f:07d}.jpg")
        assert img.shape == (180, 320, 3)
        assert column_colour(img, 200, CROP_RGB) > 0.9          # left edge of the window
        assert column_colour(img, 200 + CW, CROP_RGB) > 0.9     # right edge
        assert column_colour(img, 1100, CROP_RGB) < 0.2         # nothing drawn elsewhere
    # the pan: the window's left edge on frame 60 is where the plan's x list says
    x60 = short_plan().crop["x"][60]
    assert column_colour(picture(page_dir / "img" / "f0000060.jpg"), x60, CROP_RGB) > 0.9


def test_preview_is_the_render_frame_with_the_safe_zone_outlined(page_dir, tmp_path):
    plan = short_plan(subs=False)
    page = tmp_path / "nosubs"
    review(plan, page, OPTS)
    preview = picture(page / "img" / "p00001.jpg")  # shot 1: its keyframe nearest the middle, 210
    assert preview.shape == (320, 180, 3)
    one = Plan(**{**plan.__dict__, "episodes": [{"index": 1, "start": 210, "end": 213, "score": 0, "reasons": []}],
                  "target": {"width": 180, "height": 320}})
    out = tmp_path / "ep.mp4"
    render_episode(one, RenderTask(1, None, out), DEFAULTS.with_(preset="ultrafast", crf=14))
    from verticalize.media.thumbs import read_video
    rendered = read_video(out, 180, 320)[0].astype(int)  # frame 210
    inner = (slice(40, 250), slice(20, 150))  # inside the safe-zone outline
    assert np.abs(preview[inner] - rendered[inner]).mean() < 4
    green = np.abs(preview - np.array([0, 255, 0])).max(axis=2) < 70
    assert green[:, :10].sum() < green.sum() and green.sum() > 300  # the outline is drawn
    # with subtitles: the cue of that moment is burned in (white text pixels the subtitle-free preview lacks)
    with_subs = picture(page_dir / "img" / "p00001.jpg")
    brighter = (with_subs - preview).mean(axis=2) > 60
    assert brighter.sum() > 100
    rows = np.nonzero(brighter.any(axis=1))[0]
    assert rows.min() > 160 and rows.max() < 320 - 320 * 420 // 1920  # low in the frame, above TikTok's bottom UI


def test_an_edited_hint_changes_the_picture(page_dir, tmp_path):
    path = tmp_path / "plan.json"
    write_plan(short_plan(), path)
    assert main(["hint", str(path), "1", "right"]) == 0     # the same as "hint": "right" on shots[1] by hand
    plan = read_plan(path)
    assert plan.shots[1]["hint"] == "right"
    out = tmp_path / "hinted"
    review(plan, out, OPTS)
    img = picture(out / "img" / "f0000210.jpg")
    assert column_colour(img, W - CW, HINT_RGB) > 0.9        # the hint's window, in the hint colour
    assert column_colour(img, 200, CROP_RGB) < 0.2           # the analysed window is gone
    before, after = picture(page_dir / "img" / "p00001.jpg"), picture(out / "img" / "p00001.jpg")
    assert np.abs(before - after).mean() > 10                 # the 9:16 frame shows another part of the source
    assert "hint: right" in (out / "index.html").read_text(encoding="utf-8")
    # written again over itself: the old page is replaced
    assert main(["hint", str(path), "1", "0"]) == 0
    assert main(["review", str(path), "-o", str(out), "--jobs", "2"]) == 0
    assert column_colour(picture(out / "img" / "f0000210.jpg"), 0, HINT_RGB) > 0.9


def test_refuses_a_folder_that_is_not_a_review_page(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(OptionsError):
        review(short_plan(), tmp_path, OPTS)
    plan_path = tmp_path / "p.json"
    data = short_plan().to_json()
    data["source"]["path"] = str(tmp_path / "gone.mp4")
    plan_path.write_text(json.dumps(data))
    assert main(["review", str(plan_path), "-o", str(tmp_path / "r")]) == 2
    assert "gone.mp4: source video of the plan is missing" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
    write_plan(short_plan(), plan_path)
    assert main(["hint", str(plan_path), "6", "left"]) == 2
    assert "shot 6: the plan has shots 0..5" in capsys.readouterr().err


def test_keyframe_passes_give_the_frames_asked_for():
    from verticalize.media import probe
    from verticalize.media.thumbs import grab_frame, iter_keyframes, keyframes

    info = probe(SHORT)
    keys = keyframes(info)
    wanted = [150, 480, 750, 870]
    assert set(wanted) <= set(keys)
    one_pass = dict(iter_keyframes(info, wanted, 160, 90))
    seeking = dict(iter_keyframes(info, wanted, 160, 90, per_pass=1))   # each pass seeks to its frame
    assert sorted(one_pass) == sorted(seeking) == wanted
    for f in wanted:
        exact = grab_frame(info, f, 160, 90).astype(int)
        assert np.abs(one_pass[f].astype(int) - exact).mean() < 3, f    # deblocking skipped: nearly equal
        assert np.array_equal(one_pass[f], seeking[f])
    # neighbouring keyframes of different shots differ: the frames are not shifted by one
    assert np.abs(one_pass[480].astype(int) - one_pass[750].astype(int)).mean() > 10


def test_source_frames_are_the_frames_they_are_labelled_on_variable_frame_rate(vfr_clip, tmp_path):
    """Every picture fNNNNNNN.jpg shows source frame NNNNNNN (each frame of the clip carries its index as
    a barcode), keyframes and exact seeks alike, on a 30/24/60 fps clip."""
    from verticalize.analysis import analyze

    path, srt, _ = vfr_clip
    plan = analyze(path, {"en": str(srt)}, DEFAULTS.with_(episode_min_s=1.0, episode_max_s=3.0))
    assert plan.vfr
    out = tmp_path / "vfr"
    review(plan, out, OPTS)
    pictures = sorted((out / "img").glob("f*.jpg"))
    assert len(pictures) >= 3
    ends = {ep["end"] - 1 for ep in plan.episodes}
    assert ends <= {int(p.stem[1:]) for p in pictures}
    for p in pictures:
        gray = picture(p).mean(axis=2)
        assert gray.shape == (VFR_H, VFR_W)
        bits = [np.median(gray[int((b + 0.5) * VFR_H / VFR_BITS), 145:176]) > 128 for b in range(VFR_BITS)]
        assert sum(1 << b for b, on in enumerate(bits) if on) == int(p.stem[1:]), p.name


def test_run_with_review_writes_the_page_beside_the_outputs(tmp_path):
    from verticalize.media import ffmpeg_exe
    import subprocess

    clip = tmp_path / "tiny.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=3", "-f", "lavfi",
                    "-i", "sine=d=3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                    str(clip)], check=True)
    out = tmp_path / "out"
    assert main(["run", str(clip), "-o", str(out), "--review", "--size", "90x160", "--preset", "ultrafast",
                 "--jobs", "2"]) == 0
    page = parse(out / "tiny" / "review" / "index.html")
    assert (out / "tiny" / "ep001.mp4").is_file()
    assert page.images and all((out / "tiny" / "review" / src).is_file() for src in page.images)


def test_exact_grabs_match_a_decode_of_every_frame():
    """grab_frame (reference frames only, then every frame where the target is not one) gives the same
    pixels as decoding every frame from the keyframe before, on keyframes, P- and B-frames alike."""
    from verticalize.media import probe
    from verticalize.media.decode import decode_indexed
    from verticalize.media.thumbs import grab_frame, keyframes

    info = probe(SHORT)
    k = keyframes(info)[3]
    for f in (k - 1, k, k + 1, k + 2, k + 3, N - 1):
        exact = next(p for i, p in decode_indexed(info, 160, 90, first=f, last=f, seek_margin_s=10.0, threads=1)
                     if i == f)
        assert np.array_equal(grab_frame(info, f, 160, 90), exact), f


def test_the_page_reads_the_keyframes_the_analysis_kept(vfr_clip, keyframe_store, tmp_path):
    """analyze keeps the keyframes it decoded; the review shows those (a picture painted in the store
    shows up on the page) and decodes again once the source changed (another store folder)."""
    import os

    from verticalize.analysis import analyze
    from verticalize.media import probe
    from verticalize.media.thumbs import keyframes, store_folder

    path, srt, _ = vfr_clip
    plan = analyze(path, {"en": str(srt)}, DEFAULTS.with_(episode_min_s=1.0, episode_max_s=3.0))
    folder = store_folder(path)
    assert sorted(int(p.stem) for p in folder.glob("*.jpg")) == keyframes(probe(path))
    review(plan, tmp_path / "a", OPTS)
    shown = sorted(int(p.stem[1:]) for p in (tmp_path / "a" / "img").glob("f*.jpg"))
    f = next(f for f in shown if (folder / f"{f:07d}.jpg").is_file())
    Image.new("RGB", (VFR_W, VFR_H), (255, 0, 0)).save(folder / f"{f:07d}.jpg")
    review(plan, tmp_path / "b", OPTS)
    red = picture(tmp_path / "b" / "img" / f"f{f:07d}.jpg")
    assert np.abs(red - np.array([255, 0, 0])).max(axis=2).mean() < 40       # read from the store
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))              # the source changed
    assert store_folder(path) != folder
    review(plan, tmp_path / "c", OPTS)
    again = picture(tmp_path / "c" / "img" / f"f{f:07d}.jpg")
    assert np.abs(again - np.array([255, 0, 0])).max(axis=2).mean() > 100    # decoded, not the store's


def test_previews_of_padded_and_cropped_shots_in_turn(tmp_path):
    """Pad and crop shots alternating (each preview a keyframe of the pass): every shot gets its 9:16
    frame, a pad shot's the whole picture over a dimmed fill, a cropped one's the render's frame."""
    plan = short_plan(subs=False)
    for k, shot in enumerate(plan.shots):
        if k % 2 == 0:
            shot["mode"] = "pad"
            plan.crop["x"][shot["start"]:shot["end"]] = [0] * (shot["end"] - shot["start"])
            plan.crop["w"][shot["start"]:shot["end"]] = [W] * (shot["end"] - shot["start"])
    out = tmp_path / "alternating"
    review(plan, out, OPTS)
    previews = [picture(out / "img" / f"p{k:05d}.jpg") for k in range(len(plan.shots))]
    assert all(p.shape == (320, 180, 3) for p in previews)
    for k, p in enumerate(previews):
        fill, middle = p[20:60, 20:160].mean(), p[140:180, 20:160].mean()
        if k % 2 == 0:  # the picture is 180 x 101 in the middle; above it the blurred fill, dimmed
            assert fill < middle - 5, k
    one = Plan(**{**plan.__dict__, "episodes": [{"index": 1, "start": 210, "end": 213, "score": 0, "reasons": []}],
                  "target": {"width": 180, "height": 320}})
    rendered_path = tmp_path / "ep.mp4"
    render_episode(one, RenderTask(1, None, rendered_path), DEFAULTS.with_(preset="ultrafast", crf=14))
    rendered = read_video(rendered_path, 180, 320)[0].astype(int)  # frame 210, shot 1's preview
    inner = (slice(40, 250), slice(20, 150))
    assert np.abs(previews[1][inner] - rendered[inner]).mean() < 4


def stored_short(store_root: Path) -> dict[int, Path]:
    """The keyframe store of samples/short.mp4 as an analysis leaves it: its fast scan's parallel decode
    (chunks of 5 s on two workers) writing the keyframes as it goes."""
    from verticalize.media import probe
    from verticalize.media.decode import decode_indexed_parallel
    from verticalize.media.thumbs import KeyframeStore, stored_keyframes

    info = probe(SHORT)
    store = KeyframeStore(info)
    for _ in decode_indexed_parallel(info, 64, 36, skip="bidir", workers=2, chunk_s=5.0,
                                     keyframes_to=store.jpegs()):
        pass
    store.close(True)
    return stored_keyframes(info)


def test_the_decoder_keeps_every_keyframe_480_high_as_decoded(keyframe_store):
    """Every keyframe of the film, whichever chunk decoded it, stored under its own index: the
    displayed picture at 480 px high (the exact frame, not a neighbour)."""
    from verticalize.media import probe
    from verticalize.media.thumbs import STORE_HEIGHT_PX, grab_frame, keyframes, read_stored

    stored = stored_short(keyframe_store)
    keys = keyframes(probe(SHORT))
    assert sorted(stored) == keys and len(keys) > 10
    assert Image.open(stored[keys[0]]).size == (854, STORE_HEIGHT_PX) == (854, 480)
    info = probe(SHORT)
    for f in (keys[1], 480, keys[-1]):  # as the review reads them: 320 x 180 (deblocking skipped, JPEG)
        exact = grab_frame(info, f, 320, 180).astype(int)
        assert np.abs(read_stored(stored[f], 320, 180).astype(int) - exact).mean() < 4.5, f
    assert np.abs(read_stored(stored[480], 320, 180).astype(int)
                  - read_stored(stored[750], 320, 180).astype(int)).mean() > 10


def test_previews_come_from_the_stored_keyframes(keyframe_store, tmp_path):
    """With the store, the 9:16 previews are made from its pictures (one painted red comes out red)
    and look as the ones made from the source's own decode (no store)."""
    from verticalize.media import probe
    from verticalize.media.thumbs import keyframes, store_folder

    plan = short_plan(subs=False)
    stored = stored_short(keyframe_store)
    review(plan, tmp_path / "stored", OPTS)
    folder = store_folder(SHORT)
    hidden = folder.with_name(folder.name + ".hidden")
    folder.rename(hidden)
    try:
        review(plan, tmp_path / "decoded", OPTS)
    finally:
        hidden.rename(folder)
    for k in range(len(plan.shots)):
        a, b = (picture(tmp_path / d / "img" / f"p{k:05d}.jpg") for d in ("stored", "decoded"))
        assert np.abs(a - b)[40:250, 20:160].mean() < 4, k
    shot = plan.shots[2]  # static at x = 1000
    f = pick_preview(shot["start"], shot["end"], keyframes(probe(SHORT)))
    Image.new("RGB", Image.open(stored[f]).size, (255, 0, 0)).save(stored[f])
    review(plan, tmp_path / "red", OPTS)
    red = picture(tmp_path / "red" / "img" / "p00002.jpg")
    assert np.abs(red - np.array([255, 0, 0])).max(axis=2)[40:250, 20:160].mean() < 40
