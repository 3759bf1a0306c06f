"""Episode planner: every constraint on random inputs, and optimality against brute force."""
from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

import numpy as np

from edit.episodes import Line, Signals, _solve, hook_features, inside_cue, inside_speech, plan_episodes
from verticalize.errors import OptionsError


def random_case(rng: random.Random):
    fps = rng.choice([Fraction(30), Fraction(30000, 1001), Fraction(24), Fraction(25)])
    n = rng.randint(int(30 * fps), int(600 * fps))
    cuts = sorted(rng.sample(range(1, n), k=min(n - 1, rng.randint(0, 200))))
    cues, t = [], 0
    while t < n:
        t += rng.randint(0, int(4 * fps))
        d = rng.randint(int(fps), int(5 * fps))
        if t + d < n:
            cues.append(Line(t, t + d, rng.choice(["Why?", "No!", "Wait…", "Fine.", "And then"])))
        t += d
    lo = rng.choice([20, 30, 60])
    hi = lo + rng.choice([10, 30, 60])
    return fps, n, cuts, cues, lo, hi


def check_constraints(eps, fps, n, cuts, cues, lo, hi):
    assert eps[0].start == 0 and eps[-1].end == n
    for a, b in zip(eps, eps[1:]):
        assert a.end == b.start
    forced = any(r["feature"] in ("boundary_in_cue", "boundary_off_cut") for e in eps for r in e.reasons)
    for e in eps[:-1]:
        assert Fraction(lo) * fps - 1 < e.end - e.start <= Fraction(hi) * fps
        if not forced:
            assert e.end in cuts
            assert not inside_cue(e.end, cues)
    assert eps[-1].end - eps[-1].start <= Fraction(hi) * fps
    return forced


def test_random_inputs_never_break_a_constraint():
    """A plan that keeps every rule, or OptionsError saying where it cannot; never a broken rule."""
    rng = random.Random(7)
    planned = refused = 0
    for _ in range(300):
        fps, n, cuts, cues, lo, hi = random_case(rng)
        speech = np.zeros(n, bool)
        for a in rng.sample(range(n), k=5):
            speech[a:a + int(2 * fps)] = True
        sig = Signals(fps, n, cuts, cues, {}, speech=speech)
        try:
            eps = plan_episodes(n, fps, cuts, {}, cues, lo, hi, signals=sig, strict=True)
        except OptionsError as e:
            assert "cannot split" in str(e) and " s " in str(e)
            refused += 1
            continue
        planned += 1
        assert not check_constraints(eps, fps, n, cuts, cues, lo, hi)
        assert not any(inside_speech(e.end, speech, fps) for e in eps[:-1])
    assert planned >= 150 and refused > 0  # both outcomes are exercised


def test_default_planning_always_plans_and_names_every_unclean_boundary(caplog):
    """Without strict, every random case plans; each boundary that is not a clean cut says
    what it is in its reasons and in one warning line naming the episode."""
    rng = random.Random(7)
    unclean = 0
    for _ in range(200):
        fps, n, cuts, cues, lo, hi = random_case(rng)
        speech = np.zeros(n, bool)
        for a in rng.sample(range(n), k=5):
            speech[a:a + int(2 * fps)] = True
        sig = Signals(fps, n, cuts, cues, {}, speech=speech)
        caplog.clear()
        with caplog.at_level("WARNING", logger="edit.episodes"):
            eps = plan_episodes(n, fps, cuts, {}, cues, lo, hi, signals=sig)
        check_constraints(eps, fps, n, cuts, cues, lo, hi)
        warned = [r.getMessage() for r in caplog.records]
        named = 0
        for e in eps[:-1]:
            kinds = {r["feature"] for r in e.reasons}
            off_cut, in_cue, in_speech = e.end not in cuts, inside_cue(e.end, cues), inside_speech(e.end, speech, fps)
            assert ("boundary_off_cut" in kinds) == off_cut
            assert ("boundary_in_cue" in kinds) == in_cue
            assert ("boundary_in_speech" in kinds) == in_speech
            if off_cut or in_cue or in_speech:
                named += 1
                assert any(w.startswith(f"episode {e.index} ends at ") for w in warned)
        assert len(warned) == named
        unclean += named
    assert unclean > 20


def _no_clean_cut_case():
    """90 s at 30 fps, cuts at 20, 45 and 70 s, 30-50 s episodes: only the cut at 45 s fits
    the first boundary, and a line of dialogue with speech under it runs through it."""
    fps, n = Fraction(30), 90 * 30
    cuts = [600, 1350, 2100]
    cues = [Line(1290, 1440, "You never told me"), Line(1470, 1560, "Told you what?")]
    speech = np.zeros(n, bool)
    speech[1290:1440] = True
    speech[1470:1560] = True
    loud = np.full(n, -30.0, np.float32)
    return fps, n, cuts, cues, Signals(fps, n, cuts, cues, {}, loudness=loud, loudness_fast=loud, speech=speech)


def test_no_clean_cut_takes_the_best_there_is_and_warns_once(caplog):
    fps, n, cuts, cues, sig = _no_clean_cut_case()
    with caplog.at_level("WARNING", logger="edit.episodes"):
        eps = plan_episodes(n, fps, cuts, {}, cues, 30, 50, signals=sig)
    assert [(e.start, e.end) for e in eps] == [(0, 1350), (1350, 2700)]
    kinds = [r["feature"] for r in eps[0].reasons]
    assert kinds[:2] == ["boundary_in_speech", "boundary_in_cue"]
    assert len(caplog.records) == 1
    msg = caplog.records[0].getMessage()
    assert msg.startswith("episode 1 ends at 45.0 s (frame 1350) on a cut inside speech and a cut inside a subtitle cue")
    with pytest.raises(OptionsError, match=r"cannot split into 30-50 s episodes: no shot cut free of dialogue and "
                       r"speech between 30.0 s and 50.0 s"):
        plan_episodes(n, fps, cuts, {}, cues, 30, 50, signals=sig, strict=True)


def test_fallback_prefers_a_pause_in_a_cue_then_between_cues_then_the_quietest():
    fps, n, cuts, cues, sig = _no_clean_cut_case()
    # a second candidate at 40 s, inside a cue but in a 2 s pause of the speech: taken before 45 s
    cuts2 = [600, 1200, 1350, 2100]
    cues2 = cues + [Line(1140, 1260, "I waited")]
    sig2 = Signals(fps, n, cuts2, cues2, {}, loudness=sig.loudness, loudness_fast=sig.loudness_fast, speech=sig.speech)
    eps = plan_episodes(n, fps, cuts2, {}, cues2, 30, 50, signals=sig2)
    assert eps[0].end == 1200 and eps[0].reasons[0]["feature"] == "boundary_in_cue"
    assert {"feature": "pause_s", "value": 5.0} in eps[0].reasons
    # speech but no cue at 40 s (a cut between two cues) beats speech inside a cue at 45 s
    speech = sig.speech.copy()
    speech[1100:1300] = True
    sig3 = Signals(fps, n, cuts2, cues, {}, loudness=sig.loudness, loudness_fast=sig.loudness_fast, speech=speech)
    eps = plan_episodes(n, fps, cuts2, {}, cues, 30, 50, signals=sig3)
    assert eps[0].end == 1200 and [r["feature"] for r in eps[0].reasons][:1] == ["boundary_in_speech"]
    # both inside speech and cues: the quieter cut wins
    cues4 = cues + [Line(1140, 1260, "I waited")]
    fast = sig.loudness_fast.copy()
    fast[1190:1210] = -60.0
    for quiet_at in (1200, 1350):
        f = np.full(n, -30.0, np.float32)
        f[quiet_at - 10:quiet_at + 10] = -60.0
        sig4 = Signals(fps, n, cuts2, cues4, {}, loudness=f, loudness_fast=f, speech=speech | sig.speech)
        eps = plan_episodes(n, fps, cuts2, {}, cues4, 30, 50, signals=sig4)
        assert eps[0].end == quiet_at


def test_same_input_same_plan():
    rng = random.Random(3)
    fps, n, cuts, cues, lo, hi = random_case(rng)
    assert plan_episodes(n, fps, cuts, {}, cues, lo, hi) == plan_episodes(n, fps, cuts, {}, cues, lo, hi)


def test_dp_matches_brute_force():
    """Lexicographic optimum: the largest weakest hook, then the largest total."""
    rng = random.Random(11)
    for _ in range(80):
        n = rng.randint(50, 200)
        cands = sorted(rng.sample(range(1, n), k=rng.randint(1, 10)))
        scored = [(c, round(rng.uniform(-1, 2), 3), []) for c in cands]
        lo, hi = rng.randint(10, 40), rng.randint(40, 80)
        got = _solve(n, scored, lo, hi)
        best = None
        for k in range(len(cands) + 1):
            for subset in itertools.combinations(range(len(cands)), k):
                pos = [0] + [cands[i] for i in subset] + [n]
                lens = [b - a for a, b in zip(pos, pos[1:])]
                if any(not lo <= L <= hi for L in lens[:-1]) or not 0 < lens[-1] <= hi:
                    continue
                key = (min((scored[i][1] for i in subset), default=float("inf")),
                       sum(scored[i][1] for i in subset))
                if best is None or key > best:
                    best = key
        if best is None:
            assert got is None
        else:
            scores = [e.score for e in got[:-1]]
            assert min(scores, default=float("inf")) == pytest.approx(best[0])
            assert sum(scores) == pytest.approx(best[1], abs=1e-6)


def test_boundary_prefers_the_question():
    fps = Fraction(30)
    n = 30 * 200
    cuts = [30 * 70, 30 * 80, 30 * 140]
    cues = [Line(30 * 77, 30 * 79 + 25, "Who sent you?"), Line(30 * 66, 30 * 69, "Fine.")]
    eps = plan_episodes(n, fps, cuts, {}, cues, 60, 120)
    assert eps[0].end == 30 * 80
    assert eps[0].reasons[0]["feature"] == "question"


def test_no_boundary_inside_a_cue():
    fps = Fraction(30)
    cuts = [30 * 70, 30 * 100]
    cues = [Line(30 * 69, 30 * 71, "across the cut")]
    eps = plan_episodes(30 * 150, fps, cuts, {}, cues, 60, 120)
    assert [e.end for e in eps[:-1]] == [30 * 100]


def test_short_input_is_one_episode_and_no_episodes_flag():
    fps = Fraction(30000, 1001)
    assert len(plan_episodes(1000, fps, [300], {}, [], 60, 120)) == 1
    assert len(plan_episodes(100000, fps, [300], {}, [], 60, 120, split=False)) == 1


def test_impossible_lengths_are_an_options_error():
    with pytest.raises(OptionsError):
        plan_episodes(10000, Fraction(30), [], {}, [], 120, 60)


def test_hook_features_in_range():
    sig = Signals(Fraction(30), 200, [100], [Line(10, 95, "Really?")], {100: 0.9})
    f = hook_features(100, sig, [10, 10], 40.0)
    assert f["question"] == 1.0 and 0 < f["line_just_ended"] <= 1 and f["quickening"] == 0.75


def test_boundaries_leave_dissolves_out_but_keep_fades_and_busy_spans():
    from edit.episodes import clear_of_dissolves

    def eps(*bounds):
        return [{"index": i + 1, "start": a, "end": b, "score": 0.0, "reasons": []}
                for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]

    transitions = [(1790, 1810), (3590, 3614)]
    got = eps(0, 1800, 3602, 5000)
    clear_of_dissolves(got, transitions, lambda s, e: True, [], 900)
    assert [(e["start"], e["end"]) for e in got] == [(0, 1790), (1810, 3590), (3614, 5000)]
    assert got[0]["reasons"][-1] == {"feature": "dissolve_left_out", "value": 20}
    fades = eps(0, 1800, 3602, 5000)
    clear_of_dissolves(fades, transitions, lambda s, e: False, [], 900)     # through black: the midpoint is the hold
    assert [(e["start"], e["end"]) for e in fades] == [(0, 1800), (1800, 3602), (3602, 5000)]
    talk = eps(0, 1800, 3602, 5000)
    clear_of_dissolves(talk, transitions, lambda s, e: True, [Line(1805, 1850, "hi")], 900)
    assert [(e["start"], e["end"]) for e in talk][:2] == [(0, 1800), (1800, 3590)]
    short = eps(0, 1800, 3602, 5000)
    clear_of_dissolves(short, transitions, lambda s, e: True, [], 1795)      # would drop under the minimum
    assert short[0]["end"] == 1800


def _sound(n=600, level=-30.0):
    """Flat momentary and 100 ms loudness (LUFS) and no speech, n frames at 30 fps."""
    return np.full(n, level), np.full(n, level), np.zeros(n, bool)


def test_hook_sound_features_tell_a_swell_a_sting_and_silence_from_dialogue_and_music_steps():
    fps, n, cut = Fraction(30), 600, 300
    feats = lambda loud, fast, speech, cues=(): hook_features(
        cut, Signals(fps, n, [cut], list(cues), {}, loudness=loud, loudness_fast=fast, speech=speech), [], 0.0)

    # a swell: 3 dB a second for the 5 s into the cut, then a second of near silence
    loud, fast, speech = _sound()
    ramp = np.linspace(-36, -21, 150)
    loud[cut - 150:cut] = fast[cut - 150:cut] = ramp
    loud[cut:cut + 40] = fast[cut:cut + 40] = -70
    f = feats(loud, fast, speech)
    assert f["loudness_rise"] == 1.0 and f["silence_after"] == 1.0
    # loud music that came in 2 s before the cut is no swell, and the bed going on is no silence
    loud, fast, speech = _sound()
    loud[cut - 60:] = fast[cut - 60:] = -18
    assert "loudness_rise" not in feats(loud, fast, speech) and "silence_after" not in feats(loud, fast, speech)

    # a short line over a quiet bed in the last second: dialogue, no sting and no swell
    loud, fast, speech = _sound(level=-40)
    loud[20:230] = fast[20:230] = -22            # earlier dialogue sets its usual peaks
    speech[20:230] = True
    loud[cut - 25:cut - 2] = fast[cut - 25:cut - 2] = -22
    speech[cut - 25:cut - 2] = True
    f = feats(loud, fast, speech)
    assert "sting" not in f and "loudness_rise" not in f
    # a hit 8 dB over the dialogue's peaks ending on the cut is a sting, even over the line's end
    fast[cut - 12:cut] = -14
    assert feats(loud, fast, speech)["sting"] > 0.5

    # silence after the cut counts against the film's level: a drop to a bed 8 dB under it is a pause
    loud, fast, speech = _sound(level=-25)
    loud[cut:] = fast[cut:] = -33
    fast[cut - 20:cut] = -8
    assert feats(loud, fast, speech).get("silence_after", 0.0) < 0.4
    loud[cut:cut + 40] = fast[cut:cut + 40] = -60
    assert feats(loud, fast, speech)["silence_after"] == 1.0


def test_a_line_left_hanging_counts_less_the_longer_ago_it_ended():
    fps, cut = Fraction(30), 300
    sig = lambda end: Signals(fps, 600, [cut], [Line(end - 60, end, "¿Quién te envió?")], {})
    assert hook_features(cut, sig(cut - 30), [], 0.0)["question"] == 1.0            # 1 s before
    assert hook_features(cut, sig(cut - 135), [], 0.0)["question"] == pytest.approx(0.3)  # 4.5 s before
    mid = hook_features(cut, sig(cut - 82), [], 0.0)["question"]                   # about 2.7 s before
    assert 0.3 < mid < 1.0
