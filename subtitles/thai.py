"""Thai word boundaries from a dictionary, for line breaking.

Thai is written without spaces between words (spaces separate phrases), so
a line may only be broken where a word ends. We segment with the PyThaiNLP
word list (62,000 words, shipped by the ``newmm-tokenizer`` package) over
Thai Character Clusters (TCC, Theeramunkong et al. 2000: the units that can
never be split, e.g. a consonant with its vowel and tone marks):

* the segmentation with the fewest words wins (unknown clusters cost more
  than any dictionary word, so known words are always preferred);
* where several segmentations tie (บอก|ว่า "said that" vs บอ|กว่า), a
  boundary that lies on *every* best segmentation is **safe**; one that lies
  on only some of them is **ambiguous**; any other cluster boundary is
  **inside a word**.

Without ``newmm-tokenizer`` installed, every cluster boundary is reported as
"inside a word" (the line breaker then prefers spaces) and
``have_dictionary()`` is False.
"""
from __future__ import annotations

import functools
import re

SAFE, AMBIGUOUS, INSIDE_WORD = 1, 2, 3
UNKNOWN_CLUSTER_COST = 2  # a cluster that starts no dictionary word
THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], int] | None:
    """(words, longest word length), or None when the word list is not installed."""
    try:
        from importlib.resources import files

        text = files("newmm_tokenizer").joinpath("words_th.txt").read_text(encoding="utf-8-sig")
    except (ImportError, FileNotFoundError, OSError):
        return None
    words = frozenset(w.strip() for w in text.splitlines() if w.strip())
    return words, max(map(len, words))


def have_dictionary() -> bool:
    """True when the Thai word list is installed (``pip install newmm-tokenizer``)."""
    return _dictionary() is not None


def _cluster_ends(run: str) -> list[int]:
    """Offsets (within ``run``) where a Thai Character Cluster ends, ascending, ending with len(run)."""
    try:
        from newmm_tokenizer.tcc import tcc_pos
    except ImportError:
        tcc_pos = None
    if tcc_pos is not None:
        ends = sorted(tcc_pos(run))
    else:  # no TCC rules: never split a base letter from its marks, nor a leading vowel from its consonant
        ends = [i for i in range(1, len(run) + 1)
                if i == len(run) or not ("\u0e30" <= run[i] <= "\u0e3a" or "\u0e45" <= run[i] <= "\u0e4e"
                                         or run[i - 1] in "เแโใไ")]
    if not ends or ends[-1] != len(run):
        ends.append(len(run))
    return ends


def _run_boundaries(run: str) -> dict[int, int]:
    """Offset -> SAFE / AMBIGUOUS / INSIDE_WORD for the inner cluster boundaries of a Thai run."""
    ends = _cluster_ends(run)
    inner = {e: INSIDE_WORD for e in ends if 0 < e < len(run)}
    dictionary = _dictionary()
    if dictionary is None or not inner:
        return inner
    words, longest = dictionary
    nodes = [0, *ends]
    index = {pos: k for k, pos in enumerate(nodes)}
    n = len(nodes)
    # Edges: a dictionary word between two cluster boundaries (cost 1), or one
    # unknown cluster (cost UNKNOWN_CLUSTER_COST).
    edges: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]  # (to, cost, is_word)
    for k, start in enumerate(nodes[:-1]):
        for m in range(k + 1, n):
            end = nodes[m]
            if end - start > longest:
                break
            if run[start:end] in words:
                edges[k].append((m, 1, True))
        if not any(to == k + 1 for to, _, _ in edges[k]):
            edges[k].append((k + 1, UNKNOWN_CLUSTER_COST, False))
    inf = float("inf")
    best = [inf] * n  # cost from the start to node k
    ways = [0] * n  # number of best paths from the start to node k
    best[0], ways[0] = 0, 1
    for k in range(n):
        if best[k] == inf:
            continue
        for to, cost, _ in edges[k]:
            if best[k] + cost < best[to]:
                best[to], ways[to] = best[k] + cost, ways[k]
            elif best[k] + cost == best[to]:
                ways[to] += ways[k]
    rest = [inf] * n  # cost from node k to the end
    rest_ways = [0] * n
    rest[n - 1], rest_ways[n - 1] = 0, 1
    for k in range(n - 2, -1, -1):
        for to, cost, _ in edges[k]:
            if cost + rest[to] < rest[k]:
                rest[k], rest_ways[k] = cost + rest[to], rest_ways[to]
            elif cost + rest[to] == rest[k]:
                rest_ways[k] += rest_ways[to]
    total, total_ways = best[n - 1], ways[n - 1]
    # A node that best paths reach and leave through unknown clusters lies
    # inside one unknown word: not a word boundary.
    arrive_unknown, leave_unknown = [False] * n, [False] * n
    for k in range(n):
        for to, cost, is_word in edges[k]:
            if not is_word and best[k] + cost == best[to]:
                arrive_unknown[to] = True
            if not is_word and cost + rest[to] == rest[k]:
                leave_unknown[k] = True
    unknown_inside = {k for k in range(1, n - 1) if arrive_unknown[k] and leave_unknown[k]}
    for pos in inner:
        k = index[pos]
        if best[k] + rest[k] != total or k in unknown_inside:
            continue  # on no best segmentation
        inner[pos] = SAFE if ways[k] * rest_ways[k] == total_ways else AMBIGUOUS
    return inner


def thai_word_boundaries(text: str) -> dict[int, int]:
    """Offsets inside the Thai runs of ``text`` where a line may break, with their kind.

    Keys are offsets into ``text`` strictly inside a Thai run (between two
    Thai characters); values are SAFE (a word boundary on every best
    dictionary segmentation), AMBIGUOUS (on some) or INSIDE_WORD (between
    two clusters of one word). Positions not listed split a cluster: never
    break there. Boundaries at spaces, digits or Latin are not included.
    """
    out: dict[int, int] = {}
    for match in THAI_RUN.finditer(text):
        for offset, kind in _run_boundaries(match.group()).items():
            out[match.start() + offset] = kind
    return out


def thai_words(text: str) -> list[str]:
    """``text`` cut at its SAFE and AMBIGUOUS boundaries and at spaces (for tests and debugging)."""
    cuts = sorted(pos for pos, kind in thai_word_boundaries(text).items() if kind != INSIDE_WORD)
    pieces, last = [], 0
    for pos in cuts:
        pieces.append(text[last:pos])
        last = pos
    pieces.append(text[last:])
    return [word for piece in pieces for word in piece.split()]
