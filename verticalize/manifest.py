"""``manifest.json``: what a run folder holds, and the locked merge that farm tasks share.

Schema ``verticalize.manifest/1``: ``source``, ``plan`` (the plan's file name),
``target`` {width, height}, ``fps`` "num/den", and ``episodes``: each with its
``index``, ``start``/``end``/``frames`` (source frames, end exclusive), hook
``score``, ``free``, ``recap`` and its ``outputs`` (one entry per file written:
``episode``, ``lang``, ``video``, ``frames``, ``duration_s``, ``audio`` (per audio track:
``lang``, ``dub`` file name or None, and with loudness on ``input_lufs``,
``input_true_peak_dbtp``, ``gain_db``, ``limiter_ceiling_dbtp``), and with subtitles
``subtitles``, ``subtitles_vtt``, ``cues``). ``run`` adds ``input`` (what
``--resume`` compares) and ``analysis_seconds``. Part of the contract.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from verticalize.files import write_json

MANIFEST_SCHEMA = "verticalize.manifest/1"
OUTPUT_KEYS = ("video", "subtitles", "subtitles_vtt")  # entry keys that name files in the folder


def build_manifest(plan, entries: list[dict], episodes: list[int] | None = None) -> dict:
    """The manifest of ``plan`` (a ``verticalize.plan.Plan``): its episodes (all, or those listed)
    with the output ``entries`` that belong to each."""
    return {"schema": MANIFEST_SCHEMA, "source": plan.source["path"], "plan": "plan.json",
            "target": plan.target, "fps": plan.source["fps"],
            "episodes": [{"index": ep["index"], "start": ep["start"], "end": ep["end"],
                          "frames": ep["end"] - ep["start"], "score": ep["score"],
                          "free": ep["index"] <= int(plan.extras.get("free_episodes", 0)),
                          "recap": ep.get("recap"),
                          "outputs": [e for e in entries if e["episode"] == ep["index"]]}
                         for ep in plan.episodes if episodes is None or ep["index"] in episodes]}


def read_manifest(path: str | os.PathLike) -> dict | None:
    """The manifest at ``path``, or None when it is missing or not JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(manifest: dict, path: str | os.PathLike) -> None:
    """Write ``manifest`` to ``path`` atomically; ``read_manifest`` is its pair."""
    write_json(manifest, path)


def output_names(manifest: dict) -> list[str]:
    """The file names every output entry of ``manifest`` lists (videos and sidecars)."""
    return [o[k] for ep in manifest.get("episodes", []) for o in ep.get("outputs", [])
            for k in OUTPUT_KEYS if isinstance(o.get(k), str)]


def merge_manifest(plan, entries: list[dict], path: str | os.PathLike) -> dict:
    """Add the entries of some tasks to ``path``'s manifest, replacing the same episode and language.

    For farm tasks (``render --episode N --lang L``) sharing one folder: each adds its
    output under a lock instead of overwriting the others'. Every episode of the plan is
    listed, with the outputs rendered so far; other keys of the manifest are kept.
    """
    import fcntl

    path = Path(path)
    lock = os.open(path.parent, os.O_RDONLY)  # the folder itself is the lock: nothing left behind
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = read_manifest(path) or {}
        if old.get("schema") != MANIFEST_SCHEMA or old.get("source") != plan.source["path"]:
            old = {}
        new_keys = {(e["episode"], e["lang"]) for e in entries}
        kept = [o for ep in old.get("episodes", []) for o in ep.get("outputs", [])
                if (o.get("episode"), o.get("lang")) not in new_keys]
        merged = build_manifest(plan, sorted(kept + entries, key=lambda e: (e["episode"], e["lang"] or "")))
        result = {**old, **merged}
        write_manifest(result, path)
    finally:
        os.close(lock)  # releases the lock
    return result
