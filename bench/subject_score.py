"""Does the crop hold the subject? Scores the plan against hand-labelled real frames.

    python bench/subject_score.py MEDIA_DIR [MEDIA_DIR ...] [--set tune|report|tune,report,...] [--labels DIR] [--work DIR]
                                  [--misses] [--miss-sheets DIR]

``bench/subject_labels/{tune,report}.json`` list frames labelled by eye: the
main subject's horizontal extent ``[x0, x1]`` in source pixels (``file`` is
relative to the first MEDIA_DIR that holds it; ``frame`` is the index in decode order, as ffmpeg's
``select=eq(n,K)`` and the plan count it). Clips named in
``bench/subject_labels/derived.json`` are made from a MEDIA_DIR file with one
ffmpeg command into ``--work``.

The analysis (``verticalize.analyze``, default options) runs once per clip. A
frame is held when the crop window overlaps the subject by at least 80 % of
min(crop width, subject width). A frame in a ``pad`` shot shows the whole
picture: held when the subject is inside the frame, and counted in ``pad``.
The static centre crop is scored beside it. ``--miss-sheets DIR`` writes one PNG
per clip of the frames the crop misses: the label's extent as two green lines,
the crop as a red box (to look at why, on sets that are not held out).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ROOT / "bench" / "subject_labels"
HOLD = 0.8  # overlap needed, share of min(crop width, subject width)


def held(x: float, w: float, x0: float, x1: float) -> bool:
    """True when the window [x, x + w) overlaps [x0, x1] by >= HOLD of the narrower of the two."""
    overlap = max(0.0, min(x + w, x1) - max(x, x0))
    return overlap >= HOLD * min(w, x1 - x0)


def make_derived(media: Path, work: Path, name: str, recipe: dict) -> Path:
    import imageio_ffmpeg

    out = work / name
    if not out.exists():
        work.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp" + out.suffix)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(media / recipe["from"]),
                        *recipe["ffmpeg"], str(tmp)], check=True)
        tmp.rename(out)
    return out


def score(plan, labels: list[dict]) -> list[dict]:
    """One row per label: ours held, centre held, pad, crop x and w at that frame."""
    from verticalize.plan import crop_size_for

    W = plan.source["width"]
    n = plan.source["frame_count"]
    modes = {}
    for s in plan.shots:
        for f in range(s["start"], s["end"]):
            modes[f] = s["mode"]
    crop_w = crop_size_for(W, plan.source["height"], plan.target["width"], plan.target["height"])[0]
    rows = []
    for lab in labels:
        f = min(lab["frame"], n - 1)
        x, w = plan.crop["x"][f], plan.crop["w"][f]
        cw = crop_w  # the crop width of non-pad shots, for the centre crop
        pad = modes.get(f) == "pad" or w >= W
        x0, x1 = lab["x0"], lab["x1"]
        ours = (0 <= x0 and x1 <= W) if pad else held(x, w, x0, x1)
        centre = held((W - cw) / 2, cw, x0, x1)
        rows.append({"set": lab.get("set", ""), "file": lab["file"], "frame": lab["frame"], "ours": ours, "centre": centre, "pad": pad,
                     "x": x, "w": w, "mode": modes.get(f, "?"), "x0": x0, "x1": x1})
    return rows


def miss_sheet(path: Path, misses: list[tuple[dict, dict]], out: Path, width: int = 420, cols: int = 3) -> None:
    """A PNG of the missed frames of one clip: label [x0, x1] as green lines, the crop as a red box, the note."""
    from PIL import Image, ImageDraw

    from bench.label_sheet import grab_frames

    frames: dict = {}
    order = sorted({r["frame"] for r, _ in misses})
    for i in range(0, len(order), 30):  # a short select expression per ffmpeg run
        frames.update(grab_frames(str(path), order[i:i + 30]))
    tiles = []
    for r, lab in misses:
        img = frames[r["frame"]]
        s = width / img.shape[1]
        tile = Image.fromarray(img).resize((width, int(round(img.shape[0] * s))))
        d = ImageDraw.Draw(tile)
        d.rectangle([r["x"] * s, 1, (r["x"] + r["w"]) * s - 1, tile.height - 2], outline=(255, 0, 0), width=2)
        for x in (r["x0"], r["x1"]):
            d.line([(x * s, 0), (x * s, tile.height)], fill=(0, 255, 0), width=2)
        d.text((4, 4), f"#{r['frame']} {r['mode']}", fill=(255, 255, 0))
        d.text((4, tile.height - 14), lab.get("note", "")[:60], fill=(255, 255, 0))
        tiles.append(tile)
    th = max(t.height for t in tiles)
    sheet = Image.new("RGB", (cols * (width + 4), ((len(tiles) + cols - 1) // cols) * (th + 4)), (40, 40, 40))
    for k, t in enumerate(tiles):
        sheet.paste(t, ((k % cols) * (width + 4), (k // cols) * (th + 4)))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("media", type=Path, nargs="+", help="folders holding the labelled clips, searched in turn")
    ap.add_argument("--set", default="tune",
                    help="a label set (tune, report, report2, ...: a JSON file in --labels) or several joined by "
                         "commas, scored together with one analysis per clip")
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--work", type=Path, default=Path("/tmp/subject_score"))
    ap.add_argument("--misses", action="store_true", help="list every frame whose subject the crop misses")
    ap.add_argument("--miss-sheets", type=Path, help="write a PNG per clip of the missed frames, label and crop drawn")
    a = ap.parse_args()

    import verticalize

    labels = []
    for name in a.set.split(","):
        if not (a.labels / f"{name}.json").is_file():
            ap.error(f"no label set {name!r} in {a.labels}")
        labels += [dict(lab, set=name) for lab in json.loads((a.labels / f"{name}.json").read_text())]
    derived = json.loads((a.labels / "derived.json").read_text()) if (a.labels / "derived.json").exists() else {}
    by_file: dict[str, list] = defaultdict(list)
    for lab in labels:
        by_file[lab["file"]].append(lab)
    all_rows = []
    print(f"{'clip':34s} {'frames':>6s} {'ours':>6s} {'centre':>6s} {'pad':>5s} {'s':>6s}")
    for name, labs in by_file.items():
        path = next((d / name for d in a.media if (d / name).exists()), a.media[0] / name)
        if not path.exists() and name in derived:
            path = make_derived(a.media[0], a.work, name, derived[name])
        t = time.perf_counter()
        plan = verticalize.analyze(str(path))
        dt = time.perf_counter() - t
        rows = score(plan, labs)
        all_rows += rows
        if a.miss_sheets is not None and any(not r["ours"] for r in rows):
            miss_sheet(path, [(r, lab) for r, lab in zip(rows, labs) if not r["ours"]],
                       a.miss_sheets / f"{Path(name).stem}.png")
        k = len(rows)
        print(f"{name:34s} {k:6d} {sum(r['ours'] for r in rows) / k:6.1%} {sum(r['centre'] for r in rows) / k:6.1%} "
              f"{sum(r['pad'] for r in rows) / k:5.0%} {dt:6.1f}")
    k = len(all_rows)
    print(f"{'all':34s} {k:6d} {sum(r['ours'] for r in all_rows) / k:6.1%} "
          f"{sum(r['centre'] for r in all_rows) / k:6.1%} {sum(r['pad'] for r in all_rows) / k:5.0%}")
    if a.misses:
        for r in all_rows:
            if not r["ours"]:
                print(f"  miss {r['set']} {r['file']} #{r['frame']}: subject [{r['x0']}, {r['x1']}], crop x={r['x']} w={r['w']} "
                      f"({r['mode']})")


if __name__ == "__main__":
    main()
