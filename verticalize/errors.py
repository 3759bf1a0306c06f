"""Typed errors of the whole project (the contract: imports nothing of the project).

The library raises these; the CLI turns each into one line on stderr and exit
code 2 (``VERTICALIZE_DEBUG=1`` re-raises instead).
"""
from __future__ import annotations

from pathlib import Path


class VerticalizeError(Exception):
    """Base class. ``str(err)`` is the one line shown to the user."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class InputError(VerticalizeError):
    """A media input is missing, unreadable, corrupt, or has no usable video."""


class NoTimestamps(InputError):
    """The video stream's packets carry no timestamps (an elementary stream): frames
    can only be counted by decoding every one, so the fast I/P-frame scan cannot run."""


class SubtitleError(VerticalizeError):
    """A subtitle file is missing, not a subtitle, mis-encoded or malformed."""


class OptionsError(VerticalizeError):
    """An option value is impossible (bad size, min > max, ...)."""


class PlanError(VerticalizeError):
    """A plan file is missing, malformed, or of an unknown schema."""


class RenderError(VerticalizeError):
    """ffmpeg failed while rendering an episode."""
