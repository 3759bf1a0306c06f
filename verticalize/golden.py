"""Golden outputs for ``verify``: regenerate them on purpose, all at once.

    verticalize golden update out/ --golden tests/golden/

copies plan.json, manifest.json, the videos and the subtitle sidecars of every
run folder under OUTDIR (the folder itself, or one folder per input) into a
temporary folder beside GOLDEN_DIR, then swaps it into place. An existing
GOLDEN_DIR is replaced only when it holds nothing but such outputs.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from verticalize.verify import RUN_FILES, OUTPUT_RE, run_files, run_units
from verticalize.errors import OptionsError


def _is_golden_folder(folder: Path) -> bool:
    """True when ``folder`` holds only run outputs (directly or one level down): safe to replace."""
    for p in folder.iterdir():
        if p.is_file() and (p.name in RUN_FILES or OUTPUT_RE.fullmatch(p.name)):
            continue
        if p.is_dir() and not p.is_symlink() and all(
                q.is_file() and (q.name in RUN_FILES or OUTPUT_RE.fullmatch(q.name)) for q in p.iterdir()):
            continue
        return False
    return True


def update_golden(outdir: str | os.PathLike, golden: str | os.PathLike) -> list[Path]:
    """Make ``golden`` an exact copy of the run outputs under ``outdir``; returns the copied paths.

    Raises InputError when ``outdir`` holds no run outputs, OptionsError when
    ``golden`` is missing, is ``outdir`` or inside it (or the reverse), or is
    an existing folder with other files in it.
    """
    if golden is None or not str(golden).strip():
        raise OptionsError("golden update needs an explicit --golden GOLDEN_DIR")
    src, dst = Path(outdir).resolve(), Path(golden).resolve()
    units = run_units(src)
    if dst == src or src in dst.parents or dst in src.parents:
        raise OptionsError(f"--golden {golden}: must be a separate folder from OUTDIR {outdir}")
    if dst.exists() and not dst.is_dir():
        raise OptionsError(f"--golden {golden}: is a file, not a folder")
    if dst.exists() and not _is_golden_folder(dst):
        raise OptionsError(f"--golden {golden}: exists and holds files that are not run outputs; "
                           "refusing to replace it")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.new-", dir=dst.parent))
    copied = []
    try:
        for unit, folder in units.items():
            target = tmp / unit if unit else tmp
            target.mkdir(exist_ok=True)
            for name in run_files(folder):
                shutil.copyfile(folder / name, target / name)
                copied.append(dst / unit / name if unit else dst / name)
        os.chmod(tmp, 0o755)
        old = None
        if dst.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dst.name}.old-", dir=dst.parent))
            os.replace(dst, old / "golden")
        try:
            os.replace(tmp, dst)
        except BaseException:
            if old is not None:  # put the previous golden back
                os.replace(old / "golden", dst)
                old.rmdir()
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return copied
