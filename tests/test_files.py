"""verticalize.files: outputs appear whole or not at all, under hidden temporary names meanwhile."""
from __future__ import annotations

import json

import pytest

from subtitles import Cue, Track, write_srt
from verticalize.files import atomic_path, is_partial, remove_partials, write_json, write_text


def test_interrupted_write_leaves_nothing(tmp_path):
    target = tmp_path / "ep001.en.srt"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            assert is_partial(tmp) and tmp.parent == tmp_path and tmp.name.startswith(".ep001.en.srt.")
            tmp.write_text("half")
            raise KeyboardInterrupt  # Ctrl-C in the middle of the write
    assert list(tmp_path.iterdir()) == []


def test_interrupted_rewrite_keeps_the_old_file(tmp_path):
    target = tmp_path / "plan.json"
    write_json({"a": [1, 2, 3]}, target)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("{broken")
            raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"a": [1, 2, 3]}
    assert target.read_text() == '{\n  "a": [1,2,3]\n}\n'  # lists of numbers stay on one line
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_subtitle_export_is_atomic_and_hidden_while_written(tmp_path, monkeypatch):
    """The sidecar writer goes through files.write_text: while it writes, only a hidden
    .NAME.*.tmp exists (remove_partials knows it); a failed write leaves no visible NAME.tmp."""
    track = Track("en", (Cue(0, 1000, "Hello"),))
    seen = []
    real_open = open

    def spy_open(path, *args, **kwargs):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.open", spy_open)
    with pytest.raises(KeyboardInterrupt):
        write_srt(track, tmp_path / "ep001.en.srt")
    monkeypatch.setattr("builtins.open", real_open)
    assert len(seen[0]) == 1 and is_partial(tmp_path / seen[0][0])
    assert list(tmp_path.iterdir()) == []
    write_srt(track, tmp_path / "ep001.en.srt")
    assert (tmp_path / "ep001.en.srt").read_text() == "1\n00:00:00,000 --> 00:00:01,000\nHello\n"


def test_remove_partials_removes_only_temporaries(tmp_path):
    write_text(tmp_path / "keep.vtt", "WEBVTT\n")
    (tmp_path / ".ep002.mp4.x1y2z3.tmp").write_bytes(b"\0")
    (tmp_path / ".hidden_config").write_text("x")
    remove_partials(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden_config", "keep.vtt"]
