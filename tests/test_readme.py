"""The README's runnable Python example (the moviepy Reframe effect) runs and frames like the plan."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from media_helpers import count_frames, read_frames, stream_lines

ROOT = Path(__file__).resolve().parents[1]


def _effect_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if "Reframe(plan)" in b)


def test_readme_reframe_example_runs(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_samples.py"), "--name", "short"], check=True)
    out = tmp_path / "short.vertical.mp4"
    code = _effect_example().replace('"short.vertical.mp4"', repr(str(out)))
    code += f"\nimport json; json.dump(plan.crop['x'][:120], open({str(tmp_path / 'x.json')!r}, 'w'))\n"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert "1080x1920" in stream_lines(out)
    assert abs(count_frames(out) - 120) <= 1
    # frame 60 of the output is the plan's window of source frame 60, scaled
    import json

    x = json.loads((tmp_path / "x.json").read_text())[60]
    got = read_frames(out, [60], 108, 192)[60].astype(np.float64)
    src = read_frames(ROOT / "samples" / "short.mp4", [60], 1920, 1080)[60]
    from PIL import Image

    from verticalize.plan import crop_size_for

    crop_w, _ = crop_size_for(1920, 1080, 1080, 1920)
    want = np.asarray(Image.fromarray(src[:, x:x + crop_w]).resize((108, 192), Image.BILINEAR), np.float64)
    psnr = 10 * np.log10(255 ** 2 / np.mean((got - want) ** 2))
    assert psnr > 25, psnr
    shifted = np.asarray(Image.fromarray(src[:, 0:crop_w] if x > 300 else src[:, -crop_w:]).resize(
        (108, 192), Image.BILINEAR), np.float64)
    assert psnr > 10 * np.log10(255 ** 2 / np.mean((got - shifted) ** 2)) + 3  # not just any window
