"""The teaser's choice of moments (edit/teaser.py) on hand-made plan data: the opener on the
strongest hook, cuts on shot boundaries or pauses and never inside a line, nothing after a
boundary's payoff or from episodes not chosen, an open question last, 15-30 s."""
from __future__ import annotations

from fractions import Fraction

from edit.teaser import BOUNDARY_GUARD_S, OPENER_MAX_S, choose_teaser

FPS = Fraction(30)
S = 30  # frames per second


def film():
    """A 6-minute film: shots every 5 s, episodes of 2 minutes, a line of dialogue in the
    middle of each shot, hooks on some cuts (a question on two)."""
    shots = list(range(0, 360 * S, 5 * S))
    episodes = [(0, 120 * S), (120 * S, 240 * S), (240 * S, 360 * S)]
    lines = [(c + 1 * S, c + 4 * S) for c in shots]
    hooks = [(c, 0.3 + (c // (5 * S)) % 4 * 0.2, ("cut_strength",)) for c in shots[1:]]
    hooks += [(60 * S, 2.5, ("question", "sting")), (100 * S, 1.9, ("question",)),
              (117 * S, 3.0, ("sting",)),           # the strongest, but inside a line: not a place to cut
              (200 * S, 2.9, ("question",)),        # strong, in episode 2: not chosen
              (120 * S + 5 * S, 2.8, ("sting",))]   # in the payoff right after a boundary
    return shots, episodes, lines, hooks


def test_teaser_opens_on_the_strongest_usable_hook_and_closes_on_a_question():
    shots, episodes, lines, hooks = film()
    t = choose_teaser(FPS, shots, episodes[:1], [s for s, _ in episodes], hooks, lines)
    first = t.moments[0]
    assert first.end == 60 * S and 60 * S - OPENER_MAX_S * S <= first.start < first.end  # the 2.5 question
    assert t.moments[-1].end == 100 * S and "question" in t.moments[-1].features
    total = sum(m.frames for m in t.moments)
    assert 15 * S <= total <= 30 * S, total
    assert 4 <= len(t.moments) <= 7
    for m in t.moments:
        assert 0 <= m.start < m.end <= 120 * S                     # episode 1 only
        assert not any(a < m.start < b or a < m.end < b for a, b in lines)  # never inside a line
        assert m.start >= BOUNDARY_GUARD_S * S                     # not the film's opening seconds
        assert m.end in {h[0] for h in hooks}                      # every moment ends on its hook cut
    for a in t.moments:                                            # no moment shows another's payoff
        for b in t.moments:
            assert a is b or not 0 <= a.start - b.end < BOUNDARY_GUARD_S * S


def test_teaser_keeps_out_of_the_payoff_after_a_boundary_and_of_unchosen_episodes():
    shots, episodes, lines, hooks = film()
    t = choose_teaser(FPS, shots, episodes[1:2], [s for s, _ in episodes], hooks, lines)
    assert t.moments[0].end == 200 * S                              # the strongest in episode 2
    for m in t.moments:
        assert 120 * S + BOUNDARY_GUARD_S * S <= m.start and m.end <= 240 * S


def test_teaser_says_when_the_episodes_are_too_short():
    shots, episodes, lines, hooks = film()
    t = choose_teaser(FPS, shots, [(0, 40 * S)], [0], hooks, lines)
    assert t.moments and any("under 15 s" in n for n in t.notes)
    assert all(m.end <= 40 * S for m in t.moments)
