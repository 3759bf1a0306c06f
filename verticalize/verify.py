"""Check a run's outputs against golden ones: pictures, plan, subtitles.

    report = verify("out", "tests/golden", Thresholds(min_ssim=0.98))
    print(report.ok, *report.failure_lines(), sep="\\n")
    write_junit(report, "verify.xml")

OUTDIR and GOLDEN are run output folders (plan.json, manifest.json,
epNNN[.lang].mp4 with .srt/.vtt sidecars), or folders holding one such folder
per input (the layout of ``verticalize run -o``). Per video: resolution, exact
frame rate, length (frames), audio, integrated loudness and true peak of every audio track
(ffmpeg ``ebur128``), and per-frame SSIM and PSNR from ffmpeg's
``ssim`` and ``psnr`` filters in one ffmpeg process (VMAF too with
``Thresholds.vmaf``). Per plan: episodes, cuts, shot modes, crop path. Per
sidecar: cue count, times and text. Missing and extra outputs fail.
"""
from __future__ import annotations

import json
import os
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from verticalize.errors import InputError, OptionsError
from verticalize.files import atomic_path
from verticalize.media.compare import frame_scores, has_filter

# Files a run leaves that verify compares (and ``golden update`` copies).
OUTPUT_RE = re.compile(r"ep\d{3,}(\.[A-Za-z0-9-]+)?\.(mp4|srt|vtt)")
RUN_FILES = ("plan.json", "manifest.json")

PSNR_CAP_DB = 100.0  # identical frames (ffmpeg prints "inf") count as this in means


@dataclass(frozen=True)
class Thresholds:
    """Pass limits of ``verify``: the one table read by the CLI, the library and the pytest plugin.

    The CLI option of each field is its name with dashes (``--min-psnr-db``).
    """

    min_ssim: float = field(default=0.97, metadata={"help": "lowest per-frame SSIM (all planes), 0..1"})
    min_psnr_db: float = field(default=35.0, metadata={"help": "lowest per-frame PSNR (all planes), dB"})
    frame_tolerance: int = field(default=1, metadata={
        "help": "allowed shift of lengths, episode bounds, cuts and cue times, frames"})
    crop_tolerance_px: int = field(default=2, metadata={
        "help": "largest per-frame difference of the crop window (x, y, w, h), source px"})
    min_vmaf: float = field(default=90.0, metadata={"help": "lowest per-frame VMAF, 0..100 (with --vmaf)"})
    vmaf: bool = field(default=False, metadata={"help": "also compute VMAF (libvmaf; skipped if ffmpeg lacks it)"})
    loudness_lufs: float = field(default=-14.0, metadata={
        "help": "integrated loudness every output's audio must have (BS.1770, ebur128), LUFS"})
    loudness_tolerance_lu: float = field(default=0.5, metadata={"help": "allowed distance from loudness_lufs, LU"})
    max_true_peak_dbtp: float = field(default=-1.0, metadata={"help": "highest true peak of every output, dBTP"})
    no_loudness: bool = field(default=False, metadata={"help": "skip the loudness and true-peak checks (outputs "
                                                              "rendered with --loudness off)"})

    def with_(self, **changes: Any) -> "Thresholds":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise OptionsError(f"unknown verify threshold(s): {', '.join(sorted(unknown))} "
                               f"(known: {', '.join(f.name for f in fields(self))})")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Check:
    """One comparison: ``output`` (path under OUTDIR) and ``name`` say what; ``status`` pass, fail or skip."""

    output: str
    name: str
    status: str          # "pass" | "fail" | "skip"
    value: str           # what was measured, with the golden's value where it helps
    expected: str = ""   # the rule, e.g. ">= 0.97"
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def line(self) -> str:
        want = f" (want {self.expected})" if self.expected else ""
        return f"{self.output}: {self.name}: {self.status.upper()}: {self.value}{want}"


@dataclass
class Report:
    outdir: str
    golden: str
    thresholds: Thresholds
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def failure_lines(self) -> list[str]:
        return [c.line() for c in self.failures]


# ---------------------------------------------------------------- layout

def _is_run_folder(folder: Path) -> bool:
    return any((folder / name).is_file() for name in RUN_FILES) or any(
        OUTPUT_RE.fullmatch(p.name) for p in folder.iterdir() if p.is_file())


def run_units(root: str | os.PathLike) -> dict[str, Path]:
    """The run folders under ``root``: ``{"": root}`` for a run folder, else ``{name: subfolder}``.

    Raises InputError when ``root`` is missing or holds no run outputs.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError("no such folder" if not root.exists() else "is not a folder", root)
    if _is_run_folder(root):
        return {"": root}
    units = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and _is_run_folder(p)}
    if not units:
        raise InputError("no run outputs here (plan.json, manifest.json or epNNN.mp4, "
                         "directly or one folder per input)", root)
    return units


def run_files(folder: Path) -> list[str]:
    """Names of the files of one run folder that verify compares, sorted."""
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and (p.name in RUN_FILES or OUTPUT_RE.fullmatch(p.name)))


def _pair_units(out: dict[str, Path], gold: dict[str, Path]) -> dict[str, tuple[Path | None, Path | None]]:
    """Match run folders by name; a lone folder on each side pairs whatever its name."""
    if len(out) == 1 and len(gold) == 1 and ("" in out or "" in gold):
        (name_o, o), (name_g, g) = next(iter(out.items())), next(iter(gold.items()))
        return {name_o or name_g: (o, g)}
    names = sorted(set(out) | set(gold))
    return {n: (out.get(n), gold.get(n)) for n in names}


# ---------------------------------------------------------------- entry points

def verify(outdir: str | os.PathLike, golden: str | os.PathLike,
           thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Report:
    """Compare every output under ``outdir`` with its counterpart under ``golden``.

    Raises InputError when either folder is missing or holds no run outputs;
    every difference is a failed Check in the returned Report.
    """
    out_units, gold_units = run_units(outdir), run_units(golden)
    report = Report(str(outdir), str(golden), thresholds)
    vmaf_ok = None
    if thresholds.vmaf:
        vmaf_ok = has_filter("libvmaf")
        if not vmaf_ok:
            report.notes.append("VMAF skipped: this ffmpeg has no libvmaf filter")
    for unit, (o, g) in _pair_units(out_units, gold_units).items():
        prefix = f"{unit}/" if unit else ""
        if o is None or g is None:
            where = "output" if o is None else "golden"
            report.checks.append(Check(prefix.rstrip("/") or ".", "exists", "fail",
                                       f"run folder missing in the {where}" if o is None
                                       else "extra run folder: not in the golden", "same run folders"))
            continue
        _verify_unit(report, o, g, prefix, thresholds, vmaf_ok)
    return report


def _verify_unit(report: Report, out: Path, gold: Path, prefix: str, th: Thresholds, vmaf_ok) -> None:
    out_files, gold_files = set(run_files(out)), set(run_files(gold))
    for name in sorted(gold_files - out_files):
        report.checks.append(Check(prefix + name, "exists", "fail", "missing: in the golden, not in the output",
                                   "same files"))
    for name in sorted(out_files - gold_files):
        report.checks.append(Check(prefix + name, "exists", "fail", "extra: in the output, not in the golden",
                                   "same files"))
    both = sorted(out_files & gold_files)
    fps = _run_fps(out, gold)
    for name in both:
        o, g, label = out / name, gold / name, prefix + name
        if name == "plan.json":
            report.checks += _plan_checks(o, g, label, th)
        elif name == "manifest.json":
            report.checks += _manifest_checks(o, g, label, th)
        elif name.endswith(".mp4"):
            report.checks += _video_checks(o, g, label, th, vmaf_ok)
        else:
            report.checks += _subtitle_checks(o, g, label, th, fps)


def _run_fps(*folders: Path) -> Fraction | None:
    for folder in folders:
        for name, key in (("manifest.json", ("fps",)), ("plan.json", ("source", "fps"))):
            try:
                data = json.loads((folder / name).read_text(encoding="utf-8"))
                for k in key:
                    data = data[k]
                return Fraction(str(data))
            except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
                continue
    return None


# ---------------------------------------------------------------- plan and manifest

def _load_json(path: Path, label: str) -> tuple[dict | None, Check | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data, None
    except (OSError, ValueError) as e:
        return None, Check(label, "readable", "fail", f"{path}: {e}".splitlines()[0], "a JSON object")


def _plan_checks(out: Path, gold: Path, label: str, th: Thresholds) -> list[Check]:
    o, bad = _load_json(out, label)
    g, bad_g = _load_json(gold, label)
    if bad or bad_g:
        return [c for c in (bad, bad_g) if c]
    tol = th.frame_tolerance
    checks = []
    try:
        src_o, src_g = o["source"], g["source"]
        same = {k: (src_o.get(k), src_g.get(k)) for k in ("width", "height", "fps", "frame_count", "has_audio")}
        diff = {k: v for k, v in same.items() if v[0] != v[1]}
        checks.append(Check(label, "plan.source", "fail" if diff else "pass",
                            "; ".join(f"{k} {a} vs {b}" for k, (a, b) in diff.items()) or
                            f"{src_o['width']}x{src_o['height']} {src_o['fps']} fps, {src_o['frame_count']} frames",
                            "same source size, fps, frames, audio"))
        checks.append(Check(label, "plan.target", "pass" if o["target"] == g["target"] else "fail",
                            f"{o['target']} vs {g['target']}" if o["target"] != g["target"]
                            else f"{o['target']['width']}x{o['target']['height']}", "same size"))
        langs_o, langs_g = sorted(o.get("subtitles") or {}), sorted(g.get("subtitles") or {})
        checks.append(Check(label, "plan.subtitles", "pass" if langs_o == langs_g else "fail",
                            f"languages {langs_o or '-'}" + ("" if langs_o == langs_g else f" vs {langs_g or '-'}"),
                            "same languages"))
        checks.append(_bounds_check(label, "plan.episodes", [(e["start"], e["end"]) for e in o["episodes"]],
                                    [(e["start"], e["end"]) for e in g["episodes"]], tol, "episodes"))
        cuts_o, cuts_g = [s["start"] for s in o["shots"][1:]], [s["start"] for s in g["shots"][1:]]
        checks.append(_bounds_check(label, "plan.cuts", [(c,) for c in cuts_o], [(c,) for c in cuts_g], tol, "cuts"))
        modes_o, modes_g = [s.get("mode") for s in o["shots"]], [s.get("mode") for s in g["shots"]]
        if len(modes_o) != len(modes_g):
            checks.append(Check(label, "plan.shot_modes", "fail",
                                f"not compared: {len(modes_o)} shots vs {len(modes_g)} in the golden", "same modes"))
        else:
            wrong = [i for i, (a, b) in enumerate(zip(modes_o, modes_g)) if a != b]
            checks.append(Check(label, "plan.shot_modes", "fail" if wrong else "pass",
                                ", ".join(f"shot {i + 1} {modes_o[i]} vs {modes_g[i]}" for i in wrong[:5])
                                or " ".join(modes_o), "same modes"))
        checks.append(_crop_check(label, o["crop"], g["crop"], th.crop_tolerance_px))
    except (KeyError, TypeError) as e:
        checks.append(Check(label, "plan.readable", "fail", f"malformed plan ({e.__class__.__name__}: {e})",
                            "schema verticalize.plan/1"))
    return checks


def _bounds_check(label: str, name: str, got: list[tuple], want: list[tuple], tol: int, what: str) -> Check:
    """Same number of items and every frame number within ``tol``."""
    expected = f"same {what}, each within ±{tol} frame{'s' if tol != 1 else ''}"
    if len(got) != len(want):
        return Check(label, name, "fail", f"{len(got)} {what} {_short(got)} vs {len(want)} in the golden "
                     f"{_short(want)}", expected)
    worst, where = 0, None
    for i, (a, b) in enumerate(zip(got, want)):
        for x, y in zip(a, b):
            if abs(x - y) > worst:
                worst, where = abs(x - y), (i, x, y)
    if where is None:
        return Check(label, name, "pass", f"{len(got)} {what}, identical", expected)
    i, x, y = where
    status = "fail" if worst > tol else "pass"
    return Check(label, name, status, f"{len(got)} {what}; largest shift {worst} frames "
                 f"({what[:-1]} {i + 1}: frame {x} vs {y})", expected)


def _short(items: list[tuple], limit: int = 6) -> str:
    flat = [t[0] if len(t) == 1 else list(t) for t in items]
    text = ", ".join(map(str, flat[:limit])) + (", ..." if len(flat) > limit else "")
    return f"[{text}]"


def _crop_check(label: str, crop_o: dict, crop_g: dict, tol_px: int) -> Check:
    expected = f"every frame's window within {tol_px} px"
    lens = {k: (len(crop_o[k]), len(crop_g[k])) for k in "xywh"}
    if any(a != b for a, b in lens.values()):
        return Check(label, "plan.crop", "fail", f"not compared: {lens['x'][0]} frames vs {lens['x'][1]}", expected)
    parts, worst = [], 0
    for k in "xywh":
        diffs = [abs(a - b) for a, b in zip(crop_o[k], crop_g[k])]
        d = max(diffs, default=0)
        worst = max(worst, d)
        if d:
            frame = diffs.index(d)
            parts.append(f"|d{k}| {d} px (frame {frame}: {crop_o[k][frame]} vs {crop_g[k][frame]})")
    return Check(label, "plan.crop", "fail" if worst > tol_px else "pass",
                 "; ".join(parts) or "identical", expected)


def _manifest_checks(out: Path, gold: Path, label: str, th: Thresholds) -> list[Check]:
    o, bad = _load_json(out, label)
    g, bad_g = _load_json(gold, label)
    if bad or bad_g:
        return [c for c in (bad, bad_g) if c]

    def entries(m: dict) -> dict[str, dict]:
        return {e["video"]: e for ep in m.get("episodes", []) for e in ep.get("outputs", [])}

    try:
        eo, eg = entries(o), entries(g)
    except (KeyError, TypeError, AttributeError) as e:
        return [Check(label, "manifest.outputs", "fail", f"malformed manifest ({e})", "schema verticalize.manifest/1")]
    problems = [f"{v} missing" for v in sorted(set(eg) - set(eo))] + [f"{v} extra" for v in sorted(set(eo) - set(eg))]
    for v in sorted(set(eo) & set(eg)):
        a, b = eo[v], eg[v]
        if (a.get("episode"), a.get("lang")) != (b.get("episode"), b.get("lang")):
            problems.append(f"{v}: episode/lang {a.get('episode')}/{a.get('lang')} vs {b.get('episode')}/{b.get('lang')}")
        if abs(int(a.get("frames", 0)) - int(b.get("frames", 0))) > th.frame_tolerance:
            problems.append(f"{v}: {a.get('frames')} frames vs {b.get('frames')}")
        if a.get("cues") != b.get("cues"):
            problems.append(f"{v}: {a.get('cues')} cues vs {b.get('cues')}")
    return [Check(label, "manifest.outputs", "fail" if problems else "pass",
                  "; ".join(problems[:6]) or f"{len(eo)} outputs agree",
                  f"same outputs, frames within ±{th.frame_tolerance}, same cue counts")]


# ---------------------------------------------------------------- video

def _video_checks(out: Path, gold: Path, label: str, th: Thresholds, vmaf_ok: bool | None) -> list[Check]:
    from verticalize.media import probe

    try:
        o = probe(out)
    except InputError as e:
        return [Check(label, "readable", "fail", str(e), "a readable video")]
    try:
        g = probe(gold)
    except InputError as e:
        return [Check(label, "readable", "fail", f"golden: {e}", "a readable video")]
    tol = th.frame_tolerance
    checks = [
        Check(label, "resolution", "pass" if (o.width, o.height) == (g.width, g.height) else "fail",
              f"{o.width}x{o.height}" + ("" if (o.width, o.height) == (g.width, g.height) else
                                         f" vs {g.width}x{g.height}"), "same size"),
        Check(label, "fps", "pass" if o.fps == g.fps else "fail",
              f"{_fps_text(o.fps)}" + ("" if o.fps == g.fps else f" vs {_fps_text(g.fps)}"), "same rate, exact"),
        Check(label, "duration", "pass" if abs(o.frame_count - g.frame_count) <= tol else "fail",
              f"{o.frame_count} frames ({float(o.frame_count / o.fps):.3f} s) vs {g.frame_count}",
              f"within ±{tol} frame{'s' if tol != 1 else ''}"),
        Check(label, "audio", "pass" if o.has_audio == g.has_audio else "fail",
              f"{'present' if o.has_audio else 'none'}" + ("" if o.has_audio == g.has_audio else
                                                          f" vs {'present' if g.has_audio else 'none'}"),
              "present" if g.has_audio else "none"),
    ]
    if o.has_audio and not th.no_loudness:
        checks += _loudness_checks(out, label, th)
    if (o.width, o.height) != (g.width, g.height):
        note = f"not compared: {o.width}x{o.height} vs {g.width}x{g.height}"
        checks.append(Check(label, "ssim", "fail", note, f">= {th.min_ssim:g}"))
        checks.append(Check(label, "psnr", "fail", note, f">= {th.min_psnr_db:g} dB"))
        return checks
    t0 = time.perf_counter()
    try:
        scores = frame_scores(out, gold, vmaf=bool(th.vmaf and vmaf_ok))
    except InputError as e:  # probed fine but does not decode to the end
        return checks + [Check(label, "ssim", "fail", str(e), f">= {th.min_ssim:g}"),
                         Check(label, "psnr", "fail", str(e), f">= {th.min_psnr_db:g} dB")]
    seconds = time.perf_counter() - t0
    ssim, psnr = scores["ssim"], scores["psnr"]
    if not ssim:
        checks.append(Check(label, "ssim", "fail", "no frames compared", f">= {th.min_ssim:g}", seconds))
        checks.append(Check(label, "psnr", "fail", "no frames compared", f">= {th.min_psnr_db:g} dB", seconds))
        return checks
    checks.append(_score_check(label, "ssim", ssim, th.min_ssim, "", 4, seconds))
    checks.append(_score_check(label, "psnr", psnr, th.min_psnr_db, " dB", 2, seconds))
    if th.vmaf:
        if vmaf_ok and scores.get("vmaf"):
            checks.append(_score_check(label, "vmaf", scores["vmaf"], th.min_vmaf, "", 2, seconds))
        else:
            checks.append(Check(label, "vmaf", "skip", "libvmaf is not in this ffmpeg" if not vmaf_ok
                                else "libvmaf wrote no scores", f">= {th.min_vmaf:g}"))
    return checks


def _loudness_checks(out: Path, label: str, th: Thresholds) -> list[Check]:
    """Integrated loudness and true peak of every audio track of ``out`` (ffmpeg ebur128, peak=true)."""
    from verticalize.media.compare import audio_loudness

    checks, k = [], 0
    while True:
        t0 = time.perf_counter()
        try:
            m = audio_loudness(out, k)
        except InputError:
            if k == 0:
                checks.append(Check(label, "loudness", "fail", "audio does not decode", "a readable audio track"))
            return checks
        name = "loudness" if k == 0 else f"loudness[a:{k}]"
        want = f"{th.loudness_lufs:g} ± {th.loudness_tolerance_lu:g} LU"
        if not m.integrated_lufs > -69.9:  # silence (ebur128: -70, or -inf): nothing to normalize
            checks.append(Check(label, name, "skip", "silent", want, time.perf_counter() - t0))
        else:
            ok = abs(m.integrated_lufs - th.loudness_lufs) <= th.loudness_tolerance_lu
            checks.append(Check(label, name, "pass" if ok else "fail", f"{m.integrated_lufs:.1f} LUFS", want,
                                time.perf_counter() - t0))
            ok = m.true_peak_dbtp <= th.max_true_peak_dbtp
            checks.append(Check(label, name.replace("loudness", "true_peak"), "pass" if ok else "fail",
                                f"{m.true_peak_dbtp:.1f} dBTP", f"<= {th.max_true_peak_dbtp:g} dBTP"))
        k += 1


def _fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _score_check(label: str, name: str, values: list[float], minimum: float, unit: str, digits: int,
                 seconds: float) -> Check:
    low = min(values)
    worst = values.index(low)
    mean = sum(min(v, PSNR_CAP_DB) for v in values) / len(values)

    def fmt(v: float) -> str:
        return "inf" if v == float("inf") else f"{v:.{digits}f}"

    return Check(label, name, "pass" if low >= minimum else "fail",
                 f"min {fmt(low)}{unit} (frame {worst}), mean {fmt(mean)}{unit}, {len(values)} frames",
                 f"min >= {minimum:g}{unit}", seconds)


# ---------------------------------------------------------------- subtitles

def _read_cues(path: Path) -> list[tuple[int, int, str]]:
    from subtitles import load_track

    if not path.read_bytes().strip() or path.read_text(encoding="utf-8", errors="replace").strip() == "WEBVTT":
        return []  # an episode without cues
    parts = path.name.split(".")
    track = load_track(path, parts[1] if len(parts) == 3 else "und")  # epNNN.<lang>.srt
    return [(c.start_ms, c.end_ms, c.text) for c in track.cues]


def _subtitle_checks(out: Path, gold: Path, label: str, th: Thresholds, fps: Fraction | None) -> list[Check]:
    from verticalize.errors import SubtitleError

    tol = th.frame_tolerance
    expected = f"same cues, times within ±{tol} frame{'s' if tol != 1 else ''}, same text"
    try:
        co = _read_cues(out)
        cg = _read_cues(gold)
    except (SubtitleError, OSError) as e:
        return [Check(label, "subtitles", "fail", str(e), expected)]
    # ms are rounded: one frame plus 1 ms of rounding slack per side
    tol_ms = tol * 1000 / fps + 1 if fps else tol * 1000 / 30 + 1
    problems = []
    if len(co) != len(cg):
        problems.append(f"{len(co)} cues vs {len(cg)} in the golden")
    for i, (a, b) in enumerate(zip(co, cg)):
        if abs(a[0] - b[0]) > tol_ms or abs(a[1] - b[1]) > tol_ms:
            problems.append(f"cue {i + 1} at {_ms(a[0])}-{_ms(a[1])} vs {_ms(b[0])}-{_ms(b[1])}")
            break
        if a[2] != b[2]:
            problems.append(f"cue {i + 1} text {a[2]!r} vs {b[2]!r}")
            break
    else:
        if len(co) != len(cg):
            extra = (co if len(co) > len(cg) else cg)[min(len(co), len(cg))]
            problems.append(f"first unmatched cue {_ms(extra[0])} {extra[2]!r}")
    return [Check(label, "subtitles", "fail" if problems else "pass",
                  "; ".join(problems) or f"{len(co)} cues agree", expected)]


def _ms(ms: int) -> str:
    s, m = divmod(ms, 1000)
    return f"{s // 60:02d}:{s % 60:02d}.{m:03d}"


# ---------------------------------------------------------------- JUnit

def junit_tree(report: Report) -> ET.ElementTree:
    """testsuites > one testsuite per output > one testcase per check (failure / skipped children)."""
    root = ET.Element("testsuites", name="verticalize verify")
    suites: dict[str, ET.Element] = {}
    for c in report.checks:
        suite = suites.get(c.output)
        if suite is None:
            suite = suites[c.output] = ET.SubElement(root, "testsuite", name=c.output)
        case = ET.SubElement(suite, "testcase", classname=c.output, name=c.name, time=f"{c.seconds:.3f}")
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", message=c.line(), type="verify")
            failure.text = c.line()
        elif c.status == "skip":
            ET.SubElement(case, "skipped", message=c.value)
    total = {"tests": 0, "failures": 0, "skipped": 0, "time": 0.0}
    for name, suite in suites.items():
        checks = [c for c in report.checks if c.output == name]
        counts = {"tests": len(checks), "failures": sum(c.status == "fail" for c in checks),
                  "skipped": sum(c.status == "skip" for c in checks), "time": sum(c.seconds for c in checks)}
        for k, v in counts.items():
            suite.set(k, f"{v:.3f}" if k == "time" else str(v))
            total[k] += v
        suite.set("errors", "0")
    for k, v in total.items():
        if k != "skipped":  # testsuites carries no skipped count in the JUnit schema
            root.set(k, f"{v:.3f}" if k == "time" else str(v))
    root.set("errors", "0")
    if report.notes and suites:  # the schema has system-out on testsuite, not on testsuites
        ET.SubElement(next(iter(suites.values())), "system-out").text = "\n".join(report.notes)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(report: Report, path: str | os.PathLike) -> None:
    """Write the report as JUnit XML to a temporary file beside ``path``, then rename it into place."""
    with atomic_path(path) as tmp:
        junit_tree(report).write(tmp, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- CLI

def print_report(report: Report, file=None) -> None:
    """A rich table of every check, then the notes and a one-line summary."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file, soft_wrap=False)
    if not console.is_terminal:  # CI logs: do not fold the values into an 80-column table
        console.width = 200
    table = Table(title=f"verify {report.outdir} against {report.golden}")
    for col in ("output", "check", "result", "value", "rule"):
        table.add_column(col, overflow="fold")
    colour = {"pass": "green", "fail": "bold red", "skip": "yellow"}
    for c in report.checks:
        table.add_row(c.output, c.name, f"[{colour[c.status]}]{c.status.upper()}[/]", c.value, c.expected)
    console.print(table)
    for note in report.notes:
        console.print(f"note: {note}")
    n_fail = len(report.failures)
    console.print(f"{len(report.checks)} checks, {n_fail} failed" + ("" if n_fail else ": PASS"))
