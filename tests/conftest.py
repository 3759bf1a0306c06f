"""Shared fixtures: the generated samples, and a guard that fails any test that logs an error."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(autouse=True)
def _fail_on_logged_error(caplog):
    """Any record at ERROR or above fails the test that emitted it."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if errors:
        pytest.fail("test logged errors: " + "; ".join(r.getMessage() for r in errors))


def _ensure_samples() -> None:
    # make_samples.py caches its outputs; this is a no-op when they are current.
    subprocess.run([sys.executable, str(SAMPLES / "make_samples.py")], check=True)


@pytest.fixture(scope="session")
def drama():
    """The 4-minute sample: paths to the video, its ground truth and its subtitle files."""
    _ensure_samples()
    truth_path = SAMPLES / "drama.truth.json"
    return {
        "video": SAMPLES / "drama.mp4",
        "truth_path": truth_path,
        "truth": json.loads(truth_path.read_text()),
        "subs": {
            "en": SAMPLES / "subs" / "drama.en.srt",
            "es": SAMPLES / "subs" / "drama.es.vtt",
            "zh-Hans": SAMPLES / "subs" / "drama.zh-Hans.gbk.srt",
            "ja": SAMPLES / "subs" / "drama.ja.srt",
            "ar": SAMPLES / "subs" / "drama.ar.srt",
        },
    }
