"""Every real media file in a folder through the analysis (and a small render): a table and contact sheets.

    python bench/real_media.py DIR [--render] [--size 360x640] [--sheet OUT_DIR] [--frames 4]

For each video file in DIR (audio-only and other files are listed as skipped):
``verticalize analyze --no-episodes`` at ``--size`` through the CLI (with
``--render``: then ``verticalize render`` of that plan: one vertical file), then one row: file, status (ok, or the
one-line error the user would see), the source as the plan sees it (size,
rotation, active area when the plan has ``source.active``, fps), frames, shots
and their modes, seconds. A file that fails is a row, never a crash.

``--sheet OUT_DIR`` (default /tmp/real_media) writes ``<file>.sheet.png`` per
file: for ``--frames`` times spread over the clip, the source frame with the
crop window drawn on it (green; the whole frame in blue for a ``pad`` shot)
beside the output frame at the same time (the rendered file's frame with
``--render``, else the plan's crop of the source frame scaled to the target).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VIDEO_EXT = {".mp4", ".mov", ".mkv", ".webm", ".flv", ".avi", ".m4v", ".ts", ".mts", ".mpg", ".mpeg", ".wmv",
             ".3gp", ".ogv", ".mxf"}


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def grab(path: Path, frames: list[int], width: int | None = None) -> dict[int, np.ndarray]:
    """RGB frames by index (decode order, as the plan counts them) from one ffmpeg run, as players show them."""
    order = sorted(set(frames))
    sel = "+".join(f"eq(n\\,{k})" for k in order)
    vf = f"select={sel}" + (f",scale={width}:-2" if width else "")
    probe = subprocess.run([ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", vf, "-frames:v", "1",
                            "-f", "image2pipe", "-vcodec", "ppm", "-"], capture_output=True)
    if probe.returncode or not probe.stdout:
        return {}
    from PIL import Image
    import io

    w, h = Image.open(io.BytesIO(probe.stdout)).size
    raw = subprocess.run([ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", vf, "-fps_mode",
                          "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True).stdout
    arr = np.frombuffer(raw, np.uint8)[: len(raw) // (w * h * 3) * w * h * 3].reshape(-1, h, w, 3)
    return dict(zip(order, arr))


def sheet(path: Path, plan, out: Path, frames: int, rendered: Path | None, tw: int, th: int) -> None:
    """Source frames with the crop drawn, beside the output frames; one row per time."""
    from PIL import Image, ImageDraw

    n = plan.source["frame_count"]
    picks = [min(n - 1, int((k + 0.5) * n / frames)) for k in range(frames)]
    src = grab(path, picks)
    outs = grab(rendered, picks) if rendered is not None else {}
    modes = {}
    for s in plan.shots:
        for f in picks:
            if s["start"] <= f < s["end"]:
                modes[f] = s["mode"]
    row_h = 240
    rows = []
    for f in picks:
        if f not in src:
            continue
        img = Image.fromarray(src[f])
        sx = img.width / plan.source["width"]
        sy = img.height / plan.source["height"]
        x, y, w, h = (plan.crop[k][f] for k in ("x", "y", "w", "h"))
        if f in outs:
            o = Image.fromarray(outs[f])
        else:
            box = (int(x * sx), int(y * sy), int((x + w) * sx), int((y + h) * sy))
            o = img.crop(box)
            if modes.get(f) == "pad" or w >= plan.source["width"]:
                canvas = Image.new("RGB", (tw, th), (20, 20, 20))
                o = o.resize((tw, max(1, int(o.height * tw / o.width))))
                canvas.paste(o, (0, (th - o.height) // 2))
                o = canvas
            else:
                o = o.resize((tw, th))
        d = ImageDraw.Draw(img)
        colour = (0, 120, 255) if modes.get(f) == "pad" else (0, 255, 0)
        d.rectangle([x * sx, y * sy, (x + w) * sx - 1, (y + h) * sy - 1], outline=colour, width=3)
        active = plan.source.get("active")
        if active:
            ax0, ay0, ax1, ay1 = active  # x0, y0, x1, y1 source px (half-open)
            d.rectangle([ax0 * sx, ay0 * sy, ax1 * sx - 1, ay1 * sy - 1], outline=(255, 200, 0), width=1)
        d.text((4, 4), f"#{f} {modes.get(f, '?')}", fill=(255, 255, 0))
        a = img.resize((max(1, int(img.width * row_h / img.height)), row_h))
        b = o.resize((max(1, int(o.width * row_h / o.height)), row_h))
        row = Image.new("RGB", (a.width + 8 + b.width, row_h), (128, 128, 128))
        row.paste(a, (0, 0))
        row.paste(b, (a.width + 8, 0))
        rows.append(row)
    if not rows:
        return
    W = max(r.width for r in rows)
    im = Image.new("RGB", (W, sum(r.height + 6 for r in rows)), (128, 128, 128))
    yy = 0
    for r in rows:
        im.paste(r, (0, yy))
        yy += r.height + 6
    out.parent.mkdir(parents=True, exist_ok=True)
    im.save(out)


def cli() -> list[str]:
    """The CLI as a user runs it, from this checkout."""
    return [sys.executable, "-m", "verticalize"]


def one(path: Path, render: bool, size: str, workdir: Path):
    """(plan or None, status, seconds, rendered file or None): ``verticalize analyze`` (and ``render``) via the CLI."""
    import verticalize

    t = time.perf_counter()
    out = workdir / path.name
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / "plan.json"

    def call(args):
        r = subprocess.run(cli() + args, capture_output=True, text=True, cwd=ROOT)
        if r.returncode:
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            return lines[-1] if lines else f"exit status {r.returncode}"
        return None

    err = call(["analyze", str(path), "-o", str(plan_path), "--size", size, "--no-episodes"])
    if err:
        return None, err, time.perf_counter() - t, None
    plan = verticalize.read_plan(plan_path)
    rendered = None
    if render:
        err = call(["render", str(plan_path), "-o", str(out)])
        if err:
            return plan, "render: " + err, time.perf_counter() - t, None
        rendered = next(iter(sorted(out.glob("ep*.mp4"))), None)
    return plan, "ok", time.perf_counter() - t, rendered


def describe(plan) -> tuple[str, str]:
    s = plan.source
    seen = f"{s['width']}x{s['height']}"
    if s.get("rotation"):
        seen += f" rot {s['rotation']}"
    if s.get("active"):
        x0, y0, x1, y1 = s["active"]  # source px, half-open
        seen += f" active {x1 - x0}x{y1 - y0}+{x0}+{y0}"
    num, den = (int(v) for v in s["fps"].split("/"))
    seen += f" {num / den:.3f} fps"
    modes = Counter(sh["mode"] for sh in plan.shots)
    return seen, f"{len(plan.shots)}: " + " ".join(f"{m} {k}" for m, k in modes.most_common())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--render", action="store_true", help="also render one vertical file per input (CLI reframe)")
    ap.add_argument("--size", default="360x640", help="render size WxH (default 360x640)")
    ap.add_argument("--sheet", type=Path, default=Path("/tmp/real_media"), help="folder for the contact sheets")
    ap.add_argument("--frames", type=int, default=4, help="times per contact sheet")
    ap.add_argument("--json", action="store_true", help="also print one JSON object per file")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    files = sorted(p for p in a.dir.iterdir() if p.is_file())
    print(f"{'file':34s} {'status':8s} {'source as seen':44s} {'frames':>6s} {'shots and modes':34s} {'s':>6s}")
    failed = 0
    for p in files:
        if p.suffix.lower() not in VIDEO_EXT:
            print(f"{p.name:34s} skipped  (not a video file)")
            continue
        plan, status, sec, rendered = one(p, a.render, a.size, a.sheet)
        if status != "ok":
            failed += 1
            print(f"{p.name:34s} FAILED   {status}  ({sec:.1f} s)")
            row = {"file": p.name, "status": status, "seconds": round(sec, 2)}
        else:
            seen, shots = describe(plan)
            print(f"{p.name:34s} {'ok':8s} {seen:44s} {plan.source['frame_count']:6d} {shots:34s} {sec:6.1f}")
            row = {"file": p.name, "status": "ok", "source": seen, "shots": shots, "seconds": round(sec, 2)}
            try:
                sheet(p, plan, a.sheet / f"{p.name}.sheet.png", a.frames, rendered, w, h)
            except Exception as e:  # the sheet is for looking; never lose the table over it
                print(f"{'':34s} (no contact sheet: {type(e).__name__}: {e})")
        if a.json:
            print(json.dumps(row))
    print(f"{failed} of {sum(1 for p in files if p.suffix.lower() in VIDEO_EXT)} video files failed; "
          f"contact sheets in {a.sheet}")


if __name__ == "__main__":
    main()
