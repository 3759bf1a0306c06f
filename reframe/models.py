"""mediapipe's bundled models, set up in one place and kept quiet.

mediapipe logs from C++ (TFLite's "Created TensorFlow Lite XNNPACK delegate",
absl's ``W0000 ... landmark_projection_calculator.cc`` on every landmark call)
straight to file descriptor 2, past Python and past ``GLOG_minloglevel``. Every
model here is built, warmed up and called with that descriptor pointed at
``/dev/null`` for the length of the native call, so only verticalize's own
lines reach the user's terminal. The models run in the analysis loop's thread.
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Callable

import numpy as np


@contextlib.contextmanager
def quiet_native_stderr():
    """Point file descriptor 2 at /dev/null for the block (Python's own stderr is flushed first)."""
    fd = 2  # where native code writes, whatever sys.stderr is (pytest, a redirected logger)
    try:
        sys.stderr.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):  # no descriptor 2 at all: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def solutions():
    """``mediapipe.solutions``, imported with its native logging turned down."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_stderr():
        import mediapipe as mp
    return mp.solutions


class QuietModel:
    """A mediapipe solution whose ``process`` and ``close`` run with native stderr silenced."""

    def __init__(self, model):
        self._model = model

    def process(self, image: np.ndarray):
        with quiet_native_stderr():
            return self._model.process(image)

    def close(self) -> None:
        with quiet_native_stderr():
            self._model.close()


def load_model(make: Callable, warmup_size: int = 64) -> QuietModel:
    """Build a model with ``make(mediapipe.solutions)`` and run it once on a black
    ``warmup_size`` square (the first inference creates the delegate, which prints)."""
    mp = solutions()
    with quiet_native_stderr():
        model = make(mp)
        model.process(np.zeros((warmup_size, warmup_size, 3), np.uint8))
    return QuietModel(model)
