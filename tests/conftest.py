"""Shared fixtures: the generated samples, and a guard that fails any test that logs an error."""
from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

# the tests' caches (fonts, the keyframes an analysis keeps for the review) in a folder of this
# session, inherited by the CLI processes the tests start: never the user's ~/.cache
if "VERTICALIZE_CACHE" not in os.environ:
    os.environ["VERTICALIZE_CACHE"] = tempfile.mkdtemp(prefix="verticalize-test-cache-")
    atexit.register(shutil.rmtree, os.environ["VERTICALIZE_CACHE"], True)


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
