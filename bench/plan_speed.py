"""Episode planning time for a 2-hour film's candidates (target: under 1 s).

    python bench/plan_speed.py

Synthetic but realistic inputs: 216,000 frames at 30 fps, a cut every 2–8 s,
a dialogue line every few seconds, per-frame loudness, speech, motion and face
share. Prints the time of feature scoring plus both dynamic programs.
"""
from __future__ import annotations

import random
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edit.episodes import Line, Signals, plan_episodes  # noqa: E402


def main() -> None:
    rng = random.Random(0)
    fps = Fraction(30)
    n = 2 * 3600 * 30
    cuts, t = [], 0
    while True:
        t += rng.randint(60, 240)
        if t >= n:
            break
        cuts.append(t)
    cues, t = [], 0
    while t < n - 200:
        t += rng.randint(10, 120)
        d = rng.randint(45, 150)
        cues.append(Line(t, min(n, t + d), rng.choice(["Why?", "No!", "Wait…", "Fine.", "And then"])))
        t += d
    arng = np.random.default_rng(0)
    sig = Signals(fps, n, cuts, cues, {c: float(arng.uniform(0.2, 0.9)) for c in cuts},
                  loudness=arng.normal(-20, 4, n).astype(np.float32),
                  loudness_fast=arng.normal(-20, 6, n).astype(np.float32),
                  speech=arng.uniform(0, 1, n) > 0.6, motion=arng.uniform(0, 10, n).astype(np.float32),
                  face_share=arng.uniform(0, 0.3, n).astype(np.float32))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        eps = plan_episodes(n, fps, cuts, sig.cut_scores, cues, 60, 120, signals=sig)
        times.append(time.perf_counter() - t0)
    print(f"{'input':38} {'cuts':>6} {'cues':>6} {'episodes':>8} {'seconds (median of 3)':>22}")
    print(f"{'2 h at 30 fps, synthetic':38} {len(cuts):6d} {len(cues):6d} {len(eps):8d} {sorted(times)[1]:22.3f}")


if __name__ == "__main__":
    main()
