"""Teasers on films with planted hooks: does the teaser open on one?

    python bench/teaser.py [--films DIR] [--build] [--samples]

Films: ``samples/make_long.py`` films with question hooks planted at known cuts
(``question_cuts`` in each ``NAME.truth.json``), built into ``--films`` (default
bench/.teaser/, ignored) with ``--build``: 3, 4, 4.5, 5 and 6 minutes at
320x184 (blocks of 3, 4, 1.5, 5 and 2 minutes, so the 3, 4 and 5 minute films
share their first minutes). ``--samples`` adds samples/drama.mp4 (its
``cliffhangers``). Each film is analysed with default options (its English
subtitles, 180x320 output) unless a plan newer than the code is beside it.

Scores, per film, ``verticalize.teaser.choose(plan)`` (the default free episodes)
and per episode with a planted hook, ``choose(plan, from_episodes=(k, k))``: a hit
when the teaser's first range starts within the 4 s before a planted hook cut (the
issue's target: >= 80 %), and the teaser's length (15-30 s).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILMS = (("3", "3"), ("4", "4"), ("4.5", "1.5"), ("5", "5"), ("6", "2"))  # (minutes, block minutes)


def build(films: Path) -> None:
    for minutes, block in FILMS:
        name = f"f{minutes}m_b{block}"
        if not (films / f"{name}.mp4").exists():
            subprocess.run([sys.executable, str(ROOT / "samples" / "make_long.py"), "--minutes", minutes,
                            "--block-minutes", block, "--out", str(films), "--name", name, "--size", "320x184",
                            "--preset", "ultrafast"], check=True)


def plan_of(mp4: Path, subs: Path | None):
    from verticalize import analyze
    from verticalize.options import DEFAULTS
    from verticalize.plan import read_plan, write_plan

    path = mp4.with_suffix(".plan.json")
    if path.exists() and path.stat().st_mtime > max(p.stat().st_mtime for p in ROOT.glob("*/*.py")):
        return read_plan(path)
    plan = analyze(str(mp4), {"en": str(subs)} if subs and subs.exists() else None,
                   DEFAULTS.with_(width=180, height=320))
    write_plan(plan, path)
    return plan


def main() -> int:
    from verticalize.teaser import choose

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=Path, default=ROOT / "bench" / ".teaser")
    ap.add_argument("--build", action="store_true", help="build the films that are missing (minutes each)")
    ap.add_argument("--samples", action="store_true", help="also samples/drama.mp4")
    args = ap.parse_args()
    args.films.mkdir(parents=True, exist_ok=True)
    if args.build:
        build(args.films)
    films = [(mp4, json.loads(mp4.with_suffix(".truth.json").read_text())["question_cuts"], mp4.with_suffix(".en.srt"))
             for mp4 in sorted(args.films.glob("*.mp4")) if mp4.with_suffix(".truth.json").exists()]
    if args.samples:
        drama = ROOT / "samples" / "drama.mp4"
        films.append((drama, json.loads(drama.with_suffix(".truth.json").read_text())["cliffhangers"], None))
    hits = n = ep_hits = ep_n = 0
    print(f"{'film':16} {'scope':6} {'result':6} {'first range':>14} {'length s':>8}  planted hooks in scope")
    for mp4, hooks, subs in films:
        plan = plan_of(mp4, subs)
        fps = float(plan.fps)
        scopes = [("film", None)] + [(f"ep{k}", (k, k)) for k, ep in enumerate(plan.episodes, 1)
                                     if any(ep["start"] < h <= ep["end"] for h in hooks)]
        for scope, eps in scopes:
            t = choose(plan) if eps is None else choose(plan, from_episodes=eps)
            if not t.ranges:
                ok, first, length = False, None, 0.0
            else:
                first = t.ranges[0]
                ok = any(h - 4 * fps <= first[0] < h for h in hooks)
                length = sum(b - a for a, b in t.ranges) / fps
            inside = hooks if eps is None else [h for h in hooks if plan.episodes[eps[0] - 1]["start"] < h
                                                <= plan.episodes[eps[0] - 1]["end"]]
            print(f"{mp4.stem:16} {scope:6} {'hit' if ok else 'MISS':6} {str(first):>14} {length:8.1f}  {inside}")
            if eps is None:
                hits, n = hits + ok, n + 1
            else:
                ep_hits, ep_n = ep_hits + ok, ep_n + 1
    print(f"films: teaser opens within 4 s before a planted hook on {hits}/{n}; "
          f"per episode with a hook: {ep_hits}/{ep_n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
