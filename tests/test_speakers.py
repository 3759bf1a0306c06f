"""Active speaker from lip-gap samples: turns follow the moving mouth, with hysteresis,
and the camera cuts between the speakers instead of panning across the gap."""
from __future__ import annotations

import numpy as np

from verticalize.options import DEFAULTS
from reframe.path import solve_shot
from reframe.speakers import speaker_turns

FPS = 30.0
LEFT, RIGHT = 450.0, 1470.0


def mouths(n, speaking, every=4, seed=0):
    """Lip gaps sampled every ``every`` frames; ``speaking(f)`` -> 0 (left), 1 (right) or None."""
    rng = np.random.default_rng(seed)
    out = {}
    for f in range(0, n, every):
        who = speaking(f)
        gaps = []
        for side in (0, 1):
            talking = who == side
            gap = 0.03 + (0.08 * abs(np.sin(2 * np.pi * 4.1 * f / FPS + side)) if talking else 0.0)
            gaps.append(gap + rng.normal(0, 0.002))
        out[f] = [(LEFT, gaps[0]), (RIGHT, gaps[1])]
    return out


def test_turns_follow_the_moving_mouth():
    samples = mouths(300, lambda f: 0 if f < 120 else 1)
    turns = speaker_turns(0, 300, samples, [LEFT, RIGHT], FPS)
    assert [t.face for t in turns] == [0, 1]
    assert turns[0].start == 0 and turns[-1].end == 300
    assert 120 <= turns[1].start <= 120 + 0.6 * FPS + 4           # the change comes within the window


def test_a_short_interjection_or_a_pause_does_not_switch():
    blip = mouths(300, lambda f: 1 if 140 <= f < 148 else 0)     # a quarter second of the other mouth
    assert [t.face for t in speaker_turns(0, 300, blip, [LEFT, RIGHT], FPS)] == [0]
    pause = mouths(300, lambda f: None if 100 <= f < 200 else 0)  # silence keeps the turn
    assert [t.face for t in speaker_turns(0, 300, pause, [LEFT, RIGHT], FPS)] == [0]


def test_no_ping_pong_faster_than_the_minimum_hold():
    # the speaker changes every 0.5 s: the crop holds each turn at least 1 s
    samples = mouths(600, lambda f: (f // 15) % 2)
    turns = speaker_turns(0, 600, samples, [LEFT, RIGHT], FPS, min_hold_s=1.0)
    assert all(t.end - t.start >= FPS for t in turns[:-1])


def test_nobody_speaking_gives_none():
    assert speaker_turns(0, 300, mouths(300, lambda f: None), [LEFT, RIGHT], FPS) is None


def test_far_apart_speakers_get_a_cut_not_a_pan_and_silence_gets_pad():
    W, CW, n = 1920, 606, 300
    faces = {f: [(350, 300, 200, 200, 0.9), (1370, 300, 200, 200, 0.9)] for f in range(0, n, 5)}
    sal = np.full(n, 960.0)
    talk = solve_shot(0, n, faces, sal, W, CW, FPS, DEFAULTS, mouths=mouths(n, lambda f: 0 if f < 150 else 1))
    assert talk.mode == "speaker"
    xs = talk.x
    left_x, right_x = int(LEFT - CW / 2), int(RIGHT - CW / 2)
    assert set(xs.tolist()) == {left_x, right_x}                   # two still windows, nothing in between
    k = int(np.argmax(xs != xs[0]))
    assert xs[0] == left_x and xs[k] == right_x and (xs[k:] == right_x).all()
    assert talk.turns[0][:2] == (0, k) and talk.turns[1][2] == int(RIGHT)
    quiet = solve_shot(0, n, faces, sal, W, CW, FPS, DEFAULTS, mouths=mouths(n, lambda f: None))
    assert quiet.mode == "pad"
