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
import threading
import types
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


# mediapipe's package __init__ imports every solution, and two of them (drawing_utils and
# drawing_styles) import matplotlib.pyplot: about 1.8 s of a 2.7 s import, for drawing we never do.
_DRAWING = ("drawing_utils", "drawing_styles")


class _Solutions:
    """The solution modules (``face_detection``, ``face_mesh``, ``selfie_segmentation``), imported on
    first use, with mediapipe's drawing modules left to load only if something else uses them."""

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        import importlib

        return importlib.import_module(f"mediapipe.python.solutions.{name}")


class _DeferredModule(types.ModuleType):
    """A module whose code runs on the first access to a name it does not have (``importlib.util.LazyLoader``
    would run it already when the import system reads ``__spec__`` of the cached module)."""

    def __getattr__(self, attr: str):
        if attr.startswith("__") or self.__dict__.get("_deferred_ran"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        self.__dict__["_deferred_ran"] = True
        self.__spec__.loader.exec_module(self)
        return getattr(self, attr)


def _defer_drawing_modules() -> None:
    """Register mediapipe's drawing modules as deferred modules, so importing mediapipe does not
    import matplotlib (they run if something reads them). Does nothing once mediapipe is imported."""
    import importlib.util

    if "mediapipe" in sys.modules:
        return
    spec = importlib.util.find_spec("mediapipe")  # finds the package; does not run it
    if spec is None or not spec.submodule_search_locations:
        return
    folder = os.path.join(list(spec.submodule_search_locations)[0], "python", "solutions")
    for name in _DRAWING:
        full = f"mediapipe.python.solutions.{name}"
        path = os.path.join(folder, f"{name}.py")
        if full in sys.modules or not os.path.isfile(path):
            continue
        module = _DeferredModule(full)
        module.__spec__ = importlib.util.spec_from_file_location(full, path)
        module.__file__, module.__loader__ = path, module.__spec__.loader
        module.__package__ = "mediapipe.python.solutions"
        sys.modules[full] = module


def solutions():
    """mediapipe's solution modules (``.face_detection``, ...), imported with its native logging
    turned down and without matplotlib (mediapipe's drawing modules are deferred)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    first = "mediapipe" not in sys.modules
    _defer_drawing_modules()
    with quiet_native_stderr():
        import mediapipe  # noqa: F401  (the package: its bindings, solutions and tasks)
    if first:
        pkg = sys.modules["mediapipe.python.solutions"]
        for name in _DRAWING:  # a deferred module is cached, so its import did not bind it on the package
            setattr(pkg, name, sys.modules[f"mediapipe.python.solutions.{name}"])
    return _SOLUTIONS


_SOLUTIONS = _Solutions()


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


_IDLE: dict[tuple, list[QuietModel]] = {}  # stateless models built in this process, not in use
_IDLE_LOCK = threading.Lock()


def borrow_model(key: tuple, make: Callable, warmup_size: int = 64) -> QuietModel:
    """A model that keeps no state between frames (its output on a frame does not depend on the
    frames before), built by ``load_model(make)`` or taken from this process's idle ones of the
    same ``key`` (the model and its settings). Give it back with ``return_model(key, model)``;
    one borrower at a time, so threads never share a model."""
    with _IDLE_LOCK:
        idle = _IDLE.get(key)
        if idle:
            return idle.pop()
    return load_model(make, warmup_size)


def return_model(key: tuple, model: QuietModel) -> None:
    """Keep ``model`` for the next ``borrow_model(key, ...)`` in this process."""
    with _IDLE_LOCK:
        _IDLE.setdefault(key, []).append(model)


def load_model(make: Callable, warmup_size: int = 64) -> QuietModel:
    """Build a model with ``make(mediapipe.solutions)`` and run it once on a black
    ``warmup_size`` square (the first inference creates the delegate, which prints)."""
    mp = solutions()
    with quiet_native_stderr():
        model = make(mp)
        model.process(np.zeros((warmup_size, warmup_size, 3), np.uint8))
    return QuietModel(model)
