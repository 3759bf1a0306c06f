#!/usr/bin/env python3
"""A long 1080p30 film for benchmarks, cheap to build: ``samples/build/long.mp4`` (2 hours by default).

    python samples/make_long.py [--minutes 120] [--block-minutes 5] [--out DIR] [--name NAME] [--force]

One block (5 minutes by default) is rendered from lavfi sources (testsrc2,
SMPTE bars, a colour chart, mandelbrot, life, gradients, and a photograph
with a face from scikit-image moving over a plain background), with a hard cut
between segments of 2 to 20 s. The block is encoded once with x264 superfast
(B-frames, keyframe every 4 s and at cuts, as a film would have) and then
stream-copied with the concat demuxer as often as the length needs, so 2 hours
cost about as much as 5 minutes. A shorter last block uses the same segment
schedule, cut short. ``--minutes 5`` gives one block: the same structure, to
compare against.

Audio is speech-like: band-passed noise under a 4 Hz syllable envelope with
pauses between words during each subtitle cue, a quiet tone bed, and a two-tone
sting in the last second of the segments whose last line is a question. It is
built in numpy per block, concatenated as PCM and encoded to AAC 128k once.

Outputs (written under temporary names, renamed on success):

In ``samples/build/`` (ignored by git) unless ``--out`` says otherwise:

* ``NAME.mp4``          1920x1080, 30/1 fps, H.264 High yuv420p + AAC stereo 48 kHz, faststart
* ``NAME.en.srt``       one cue per line of "dialogue", all inside the speech spans
* ``NAME.truth.json``   {"fps", "frames", "block_frames", "cuts", "segments", "cues", "speech",
                        "question_cuts"}: frames are exact (end exclusive), cue times in ms

Every cut is free of cues and speech (a valid episode boundary); about a third
of them follow a question and a sting, the planted cliffhangers. The film
repeats its block: a benchmark input, not a detector test.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
W, H, FPS = 1920, 1080, 30
AUDIO_RATE = 48000
SEED = 7
SEGMENT_S = (2, 20)         # shortest and longest shot, s
QUESTION_EVERY = 3          # about one cut in this many follows a question and a sting
FACE_SHARE = 0.4            # share of shots with a face (the photograph), when the previous shot had none

# name -> lavfi source chain producing 1920x1080 at 30 fps (small sources are scaled up: cheap to generate)
SOURCES = {  # all move slowly or not at all within a shot (strobing sources like cellauto are left out)
    "testsrc2": "testsrc2=s={w}x{h}:r=30",
    "testsrc": "testsrc=s={w}x{h}:r=30",
    "bars": "smptehdbars=s={w}x{h}:r=30",
    "chart": "colorchart=r=30:patch_size={patch}x{patch},scale={w}:{h}:flags=bilinear",
    "mandelbrot": "mandelbrot=s={w4}x{h4}:r=30:maxiter=64:end_scale=0.02,scale={w}:{h}:flags=bilinear",
    "life": "life=s={w4}x{h4}:r=10:mold=10:ratio=0.2:life_color=#40ff60:death_color=#802010,fps=30,"
            "scale={w}:{h}:flags=bilinear",
    "gradients": "gradients=s={w2}x{h2}:r=30:speed=0.02:seed={seed},scale={w}:{h}:flags=bilinear",
    "face": "color=c={color}:s={w}x{h}:r=30",  # with the photograph overlaid, moving
}
WORDS = ("where were you last night the door was open I told you not to come back she knows about the money "
         "we have to leave now nobody saw us this is not what it looks like he lied to both of us").split()


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def schedule(total_frames: int, seed: int = SEED) -> list[dict]:
    """Segments filling exactly ``total_frames``: source, frames, cues, question flag.

    The same seed gives the same prefix for any length, so a short last block is
    the full block cut short.
    """
    rng = random.Random(seed)
    names = list(SOURCES)
    segs: list[dict] = []
    start = 0
    prev = None
    while start < total_frames:
        n = rng.randint(SEGMENT_S[0] * FPS, SEGMENT_S[1] * FPS)
        src = "face" if prev != "face" and rng.random() < FACE_SHARE else rng.choice([s for s in names[:-1] if s != prev])
        prev = src
        seg = {"start": start, "source": src, "hue_deg": rng.randrange(0, 360, 30), "rule": rng.choice((18, 30, 90, 110)),
               "seed": rng.randrange(1, 1000), "color": rng.choice(("0x303848", "0x284030", "0x402828", "0x383838")),
               "question": rng.randrange(QUESTION_EVERY) == 0, "draw": rng.random()}
        left = total_frames - start
        if left - n < SEGMENT_S[0] * FPS:  # no sliver at the end: the last segment takes the rest
            n = left
        seg["end"] = start + n
        segs.append(seg)
        start += n
    for seg in segs:
        seg["cues"] = _cues(seg, random.Random(seg["seed"] * 7919 + seg["start"]))
    return segs


def _cues(seg: dict, rng: random.Random) -> list[dict]:
    """Lines of dialogue inside the segment, ending >= 0.6 s before its cut; frames, end exclusive."""
    s, e = seg["start"], seg["end"]
    lo, hi = s + int(0.4 * FPS), e - int(0.6 * FPS)
    cues = []
    t = lo
    while hi - t >= int(1.2 * FPS):
        n = min(rng.randint(int(1.2 * FPS), int(3.5 * FPS)), hi - t)
        words = rng.sample(WORDS, rng.randint(2, 6))
        cues.append({"start": t, "end": t + n, "text": " ".join(words).capitalize() + "."})
        t += n + rng.randint(int(0.3 * FPS), int(1.5 * FPS))
        if rng.random() < 0.3:
            break  # some shots end in silence
    if cues and seg["question"]:
        cues[-1]["text"] = cues[-1]["text"][:-1] + "?"
    elif seg["question"]:
        seg["question"] = False
    return cues


def filter_graph(segs: list[dict], face_png: Path, width: int = W, height: int = H) -> str:
    """One filtergraph: every segment's source trimmed to its frames, hue-shifted, concatenated."""
    parts, labels = [], []
    sizes = {"w": width, "h": height, "w2": width // 4 * 2, "h2": height // 4 * 2, "w4": width // 8 * 2,
             "h4": height // 8 * 2, "patch": max(8, width // 12 // 2 * 2)}
    photo = height * 5 // 6
    face = str(face_png).replace("\\", "/").replace(":", "\\:")
    for k, seg in enumerate(segs):
        n = seg["end"] - seg["start"]
        chain = SOURCES[seg["source"]].format(**seg, **sizes)
        chain += f",trim=end_frame={n},setpts=N/(30*TB)"
        if seg["source"] == "face":
            parts.append(f"movie='{face}':loop=0,setpts=N/(30*TB),scale={photo}:{photo},format=rgb24[p{k}]")
            chain += f"[b{k}];[b{k}][p{k}]overlay=x='(W-w)*(0.5+0.3*sin(t*0.25+{seg['draw'] * 6:.2f}))':y=(H-h)/2:shortest=1"
        elif seg["hue_deg"]:
            chain += f",hue=h={seg['hue_deg']}"
        parts.append(chain + f",format=yuv420p,setsar=1[v{k}]")
        labels.append(f"[v{k}]")
    parts.append("".join(labels) + f"concat=n={len(segs)}:v=1:a=0[out]")
    return ";\n".join(parts)


def block_audio(segs: list[dict], frames: int, seed: int = SEED) -> np.ndarray:
    """Stereo int16 audio of one block: speech-like noise during cues, a tone bed, stings before question cuts."""
    rng = np.random.default_rng(seed)
    n = frames * AUDIO_RATE // FPS
    t = np.arange(n) / AUDIO_RATE
    noise = rng.standard_normal(n).astype(np.float32)
    spec = np.fft.rfft(noise)
    f = np.fft.rfftfreq(n, 1 / AUDIO_RATE)
    spec[(f < 250) | (f > 3500)] = 0  # voice band
    voice = np.fft.irfft(spec, n).astype(np.float32)
    voice /= np.abs(voice).max() + 1e-9
    env = np.zeros(n, np.float32)
    for seg in segs:
        for cue in seg["cues"]:
            a, b = cue["start"] * AUDIO_RATE // FPS, cue["end"] * AUDIO_RATE // FPS
            tt = np.arange(b - a) / AUDIO_RATE
            syll = 0.5 - 0.5 * np.cos(2 * np.pi * 4.0 * tt)  # 4 syllables a second
            words = (np.sin(2 * np.pi * 0.9 * tt + a) > -0.6).astype(np.float32)  # short pauses between words
            ramp = np.minimum(1, np.minimum(tt, tt[-1] - tt) / 0.05)
            env[a:b] = syll * words * ramp
    out = 0.5 * voice * env + 0.01 * np.sin(2 * np.pi * 110 * t) + 0.006 * np.sin(2 * np.pi * 174 * t)
    for seg in segs:
        if seg["question"]:  # a sting in the last second before the cut
            b = seg["end"] * AUDIO_RATE // FPS - int(0.15 * AUDIO_RATE)
            a = b - int(0.45 * AUDIO_RATE)
            tt = np.arange(b - a) / AUDIO_RATE
            out[a:b] += 0.45 * np.exp(-tt * 4) * (np.sin(2 * np.pi * 880 * tt) + 0.6 * np.sin(2 * np.pi * 1320 * tt))
    pcm = (np.clip(out, -1, 1) * 32000).astype(np.int16)
    return np.stack([pcm, pcm], axis=1)


def _write_wav(path: Path, stereo: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(stereo.tobytes())


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        sys.exit(f"make_long: ffmpeg failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")


def encode_block(segs: list[dict], frames: int, work: Path, name: str, face_png: Path, preset: str,
                 size: tuple[int, int] = (W, H)) -> Path:
    graph = work / f"{name}.filter"
    graph.write_text(filter_graph(segs, face_png, *size))
    out = work / f"{name}.mp4"
    _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-/filter_complex", str(graph),
          "-map", "[out]", "-frames:v", str(frames), "-c:v", "libx264", "-preset", preset, "-crf", "23", "-maxrate", "4M", "-bufsize", "8M",
          "-g", "120", "-keyint_min", "30", "-profile:v", "high", "-pix_fmt", "yuv420p", "-r", "30",
          "-video_track_timescale", "15360", str(out)])
    wav = work / f"{name}.wav"
    _write_wav(wav, block_audio(segs, frames))
    return out


def _ms(frame: int) -> int:
    return frame * 1000 // FPS


def _srt_time(ms: int) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def build(minutes: float, block_minutes: float, outdir: Path, name: str, preset: str = "superfast",
          size: tuple[int, int] = (W, H)) -> dict:
    total = int(round(minutes * 60 * FPS))
    block = min(total, int(round(block_minutes * 60 * FPS)))
    if total < 2 * SEGMENT_S[0] * FPS:
        sys.exit("make_long: --minutes must give at least 4 seconds")
    full, tail = divmod(total, block)
    if 0 < tail < SEGMENT_S[0] * FPS:  # a sliver: fold it into the previous block's count
        full, tail = full - 1, tail + block
    outdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="make_long-", dir=outdir))
    t0 = time.perf_counter()
    try:
        from skimage import data  # bundled photographs only; nothing is downloaded
        import imageio.v3 as iio

        face_png = work / "face.png"
        iio.imwrite(face_png, data.astronaut())
        blocks = []  # (path, segments, frames) in film order
        segs = schedule(block)
        path = encode_block(segs, block, work, "block", face_png, preset, size)
        blocks += [(path, segs, block)] * full
        if tail:
            tsegs = schedule(tail)
            blocks.append((encode_block(tsegs, tail, work, "tail", face_png, preset, size), tsegs, tail))
        t_blocks = time.perf_counter() - t0
        (work / "video.txt").write_text("".join(f"file '{p.name}'\n" for p, _, _ in blocks))
        (work / "audio.txt").write_text("".join(f"file '{p.with_suffix('.wav').name}'\n" for p, _, _ in blocks))
        tmp = outdir / f".{name}.mp4.part"
        _run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
              "-f", "concat", "-safe", "0", "-i", str(work / "video.txt"),
              "-f", "concat", "-safe", "0", "-i", str(work / "audio.txt"),
              "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", str(AUDIO_RATE),
              "-ac", "2", "-frames:v", str(total), "-movflags", "+faststart", "-f", "mp4", str(tmp)])

        cuts, segments, cues, speech, question_cuts = [], [], [], [], []
        offset = 0
        for _, bsegs, frames in blocks:
            for seg in bsegs:
                s, e = seg["start"] + offset, seg["end"] + offset
                if s > 0:
                    cuts.append(s)
                segments.append({"start": s, "end": e, "source": seg["source"], "face": seg["source"] == "face"})
                if seg["question"] and e < total:
                    question_cuts.append(e)
                for c in seg["cues"]:
                    cues.append({"start": c["start"] + offset, "end": c["end"] + offset, "text": c["text"],
                                 "start_ms": _ms(c["start"] + offset), "end_ms": _ms(c["end"] + offset)})
                    speech.append([c["start"] + offset, c["end"] + offset])
            offset += frames
        srt = "".join(f"{k}\n{_srt_time(c['start_ms'])} --> {_srt_time(c['end_ms'])}\n{c['text']}\n\n"
                      for k, c in enumerate(cues, 1))
        truth = {"schema": "verticalize.long-truth/1", "fps": f"{FPS}/1", "width": size[0], "height": size[1], "frames": total,
                 "block_frames": block, "blocks": len(blocks), "cuts": cuts, "question_cuts": question_cuts,
                 "segments": segments, "speech": speech, "cues": cues,
                 "build_seconds": {"blocks": round(t_blocks, 1), "total": round(time.perf_counter() - t0, 1)},
                 "x264_preset": preset}
        (outdir / f".{name}.en.srt.part").write_text(srt, encoding="utf-8")
        (outdir / f".{name}.truth.json.part").write_text(json.dumps(truth, indent=1))
        os.replace(tmp, outdir / f"{name}.mp4")
        os.replace(outdir / f".{name}.en.srt.part", outdir / f"{name}.en.srt")
        os.replace(outdir / f".{name}.truth.json.part", outdir / f"{name}.truth.json")
        return truth
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120.0, help="film length, minutes (default 120)")
    ap.add_argument("--block-minutes", type=float, default=5.0, help="length of the repeated block, minutes (default 5)")
    ap.add_argument("--out", type=Path, default=HERE / "build", help="output folder (default samples/build/)")
    ap.add_argument("--name", help="output stem (default long for 120 min, else long<MIN>m)")
    ap.add_argument("--preset", default="superfast", help="x264 preset of the block (default superfast)")
    ap.add_argument("--size", default=f"{W}x{H}", help=f"frame WIDTHxHEIGHT, multiples of 8 (default {W}x{H}; "
                    "small sizes are for tests)")
    ap.add_argument("--force", action="store_true", help="rebuild even when NAME.mp4 and its truth exist")
    args = ap.parse_args(argv)
    if args.minutes <= 0 or args.block_minutes <= 0:
        ap.error("--minutes and --block-minutes must be positive")
    name = args.name or ("long" if args.minutes == 120 else f"long{args.minutes:g}m")
    out = args.out / f"{name}.mp4"
    truth_path = args.out / f"{name}.truth.json"
    if not args.force and out.is_file() and truth_path.is_file():
        t = json.loads(truth_path.read_text())
        if t.get("frames") == int(round(args.minutes * 60 * FPS)) and f"{t['width']}x{t['height']}" == args.size:
            print(f"{out}: up to date ({t['frames']} frames)")
            return
    t = time.perf_counter()
    w, _, h = args.size.lower().partition("x")
    if not (w.isdigit() and h.isdigit() and int(w) % 8 == 0 and int(h) % 8 == 0 and int(w) >= 64 and int(h) >= 64):
        ap.error(f"--size {args.size!r}: WIDTHxHEIGHT, multiples of 8, at least 64x64")
    truth = build(args.minutes, args.block_minutes, args.out, name, args.preset, (int(w), int(h)))
    print(f"{out}: {truth['frames']} frames, {len(truth['cuts'])} cuts, {len(truth['cues'])} cues, "
          f"{len(truth['question_cuts'])} question cuts; built in {time.perf_counter() - t:.0f} s "
          f"(blocks {truth['build_seconds']['blocks']:.0f} s)")


if __name__ == "__main__":
    main()
