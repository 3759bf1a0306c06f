"""The house: import rules of the library (tests/import_rules.py), and the checker itself."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import import_rules

ROOT = Path(__file__).resolve().parents[1]


def test_library_keeps_the_import_rules():
    assert import_rules.check(ROOT) == []


def test_edit_is_at_most_a_quarter_of_the_library():
    lines = import_rules.line_counts(ROOT)
    assert lines["edit"] <= 0.25 * sum(lines.values()), lines


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for pkg in import_rules.PACKAGES:
        (tmp_path / pkg).mkdir(parents=True, exist_ok=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_checker_sees_each_forbidden_import(tmp_path):
    root = _tree(tmp_path, {
        "verticalize/errors.py": "",
        "verticalize/files.py": "from verticalize import errors\n",
        "verticalize/options.py": "from verticalize.plan import Plan\n",          # contract -> above it
        "verticalize/plan.py": "X = 1\n",
        "verticalize/manifest.py": "",
        "verticalize/render.py": "import subprocess\n",                            # only media starts ffmpeg
        "verticalize/media/__init__.py": "",
        "verticalize/media/probe.py": "import subprocess\nfrom verticalize.render import go\n",
        "reframe/path.py": "from edit.shots import cuts\nfrom verticalize.media import probe\n",
        "edit/shots.py": "from verticalize.options import DEFAULTS\nfrom edit.audio import _private\n",
        "edit/audio.py": "from edit.shots import cuts\n_private = 1\n",
        "subtitles/a.py": "from .b import x\n",
        "subtitles/b.py": "from subtitles.a import y\n",
    })
    problems = "\n".join(import_rules.check(root))
    assert "verticalize.options imports verticalize.plan" in problems
    assert "verticalize.render imports subprocess" in problems
    assert "verticalize.media.probe imports subprocess" not in problems
    assert "verticalize.media.probe imports verticalize.render" in problems
    assert "reframe.path imports edit.shots" in problems
    assert "reframe.path imports verticalize.media" in problems
    assert "private name _private from edit.audio" in problems
    assert "import cycle: edit.audio -> edit.shots -> edit.audio" in problems
    assert "import cycle: subtitles.a -> subtitles.b -> subtitles.a" in problems
    assert "edit.shots imports verticalize.options" not in problems  # the contract is open to decisions
    assert len(problems.splitlines()) == 8, problems


def test_python_dash_m_verticalize_is_the_cli():
    proc = subprocess.run([sys.executable, "-m", "verticalize", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "reframe" in proc.stdout and "verify" in proc.stdout


def test_reframe_effect_is_exported_where_python_users_look():
    import reframe
    import verticalize
    from reframe.effect import Reframe

    assert verticalize.Reframe is Reframe and reframe.Reframe is Reframe
