"""Writing files whole or not at all.

Every output of the project is written under a hidden temporary name in its
own folder (``.NAME.XXXXXXXX.tmp``) and renamed into place when complete, so
a reader never sees half a file and an interrupted run leaves only names that
``remove_partials`` knows. Part of the contract: imports nothing of the project
but ``verticalize.errors``.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

TEMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The temporary file exists (empty) when the block starts; the block writes
    it by any means (Python, a library's ``save``, an ffmpeg process). If the
    block raises (Ctrl-C included), the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` (``"\\n"`` line ends) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def write_text_if_changed(path: str | os.PathLike, text: str) -> None:
    """``write_text`` unless ``path`` already holds exactly ``text`` (its mtime then stays)."""
    try:
        if Path(path).read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_text(path, text)


def write_json(data: Any, path: str | os.PathLike) -> None:
    """Write ``data`` as indented JSON (lists of numbers on one line each) atomically."""
    write_text(path, json_text(data) + "\n")


def json_text(data: Any) -> str:
    """Indented JSON, with long lists of numbers kept on one line each (a crop path stays readable)."""
    if isinstance(data, dict):
        inner = ",\n".join(f"{json.dumps(k)}: {json_text(v)}" for k, v in data.items())
        return "{\n" + "\n".join("  " + line for line in inner.splitlines()) + "\n}" if data else "{}"
    if isinstance(data, list) and data and all(isinstance(v, (int, float)) for v in data):
        return json.dumps(data, separators=(",", ":"))
    if isinstance(data, list) and len(data) > 0:
        inner = ",\n".join(json_text(v) for v in data)
        return "[\n" + "\n".join("  " + line for line in inner.splitlines()) + "\n]"
    return json.dumps(data, ensure_ascii=False)


def is_partial(path: str | os.PathLike) -> bool:
    """Whether ``path`` is the temporary file of an unfinished write (``.NAME.*.tmp``)."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def remove_partials(folder: str | os.PathLike) -> None:
    """Delete the temporary files of interrupted writes in ``folder`` (not below it)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        if is_partial(p) and p.is_file():
            p.unlink(missing_ok=True)
