"""Many inputs at once: expand files, folders and globs; analyze and render them with bounded concurrency.

One scheduler loop in the calling process keeps at most ``jobs`` units of work
running: an analysis (in a spawned worker process, one per slot, so memory
stays bounded) or one ffmpeg render (one episode, all its languages up to
``encoders_per_process``). Renders of earlier files go first, so an
interrupted batch leaves whole files done. ``resume`` skips what is already
done for the same input and options:

* ``manifest.json`` and ``plan.json`` carry an ``input`` block: the input's
  size and SHA-256 of its whole content (streamed in 1 MiB blocks; a sampled
  hash could miss an edit in the middle), the options that shape the output
  (all of ``Options`` except ``jobs`` and ``encoders_per_process``) and their SHA-256, and the SHA-256 of
  each subtitle file.
* A file whose manifest block matches and whose outputs all exist is skipped.
* A plan whose block matches is reused, and of its tasks only those whose
  video is missing are rendered (outputs are renamed into place when complete,
  so an existing one is a finished one). A fresh analysis first removes the
  old manifest and outputs, so nothing stale is ever taken for done.

A bad file becomes one line on stderr and never stops the others. SIGINT or
SIGTERM stops the batch: child processes (analysis workers, ffmpeg) are
terminated and partial files removed before it returns.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import json
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verticalize.options import DEFAULTS, Options
from verticalize.files import remove_partials
from verticalize.manifest import build_manifest, output_names, read_manifest, write_manifest
from verticalize.plan import Plan, read_plan, write_plan
from verticalize.render import (RenderTask, check_encoder, episode_tasks, existing_entry, render_groups,
                                render_outputs)
from verticalize.errors import InputError, OptionsError, PlanError, VerticalizeError


VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mxf",
                              ".flv", ".wmv", ".mpg", ".mpeg", ".3gp"})
HASH_BLOCK_BYTES = 1 << 20
NOT_OUTPUT_OPTIONS = ("jobs", "encoders_per_process")  # how the work is spread, not what it makes


# ---- inputs -----------------------------------------------------------------------------------------------

def expand_inputs(items: list[str]) -> list[str]:
    """Files as given, folders as their video files (sorted by name), globs expanded (sorted); no duplicates.

    A path that does not exist (or a glob that matches nothing) is kept as it
    is, so it fails later with one line naming it.
    """
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += [str(f) for f in sorted(p.iterdir()) if f.is_file() and not f.name.startswith(".")
                    and f.suffix.lower() in VIDEO_EXTENSIONS]
        elif not p.exists() and glob.has_magic(item):
            matches = [m for m in sorted(glob.glob(item, recursive=True)) if Path(m).is_file()]
            out += matches or [item]
        else:
            out.append(item)
    seen: set[str] = set()
    unique = []
    for item in out:
        key = str(Path(item).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def target_dirs(inputs: list[str], outdir: str | os.PathLike) -> list[Path]:
    """``outdir/<stem>/`` per input; OptionsError when two inputs share a stem."""
    owners: dict[str, str] = {}
    for item in inputs:
        stem = Path(item).stem
        if stem in owners:
            raise OptionsError(f"{owners[stem]} and {item} would both write {Path(outdir) / stem}/; rename one")
        owners[stem] = item
    return [Path(outdir) / Path(item).stem for item in inputs]


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of the whole file, streamed in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK_BYTES):
            h.update(block)
    return h.hexdigest()


def output_options(opts: Options) -> dict:
    """Every option that shapes the outputs (all but ``NOT_OUTPUT_OPTIONS`` and the review page's picture
    sizes, which ``--resume`` need not compare: the page is written again on every run), as JSON values."""
    # an unmarked run leaves watermark_id out, and a run with x264's 4 threads x264_threads: its hash stays
    # what it was before the option existed (every earlier run had 4)
    return {k: v for k, v in sorted(dataclasses.asdict(opts).items())
            if k not in NOT_OUTPUT_OPTIONS and not k.startswith("review_") and not (k == "watermark_id" and v is None)
            and not (k == "x264_threads" and v == 4)}


def options_sha256(opts: Options) -> str:
    """SHA-256 of ``output_options(opts)``."""
    return hashlib.sha256(json.dumps(output_options(opts), sort_keys=True).encode()).hexdigest()


def input_block(path: str | os.PathLike, subtitles: dict[str, str] | None, opts: Options,
                dubs: dict[str, tuple] | None = None) -> dict:
    """What resume compares: the input's path, size and content hash, the options' and subtitles' hashes
    (and the dubs', with their offsets, when there are any)."""
    from verticalize.media import check_path

    path = Path(path)
    check_path(path)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": file_sha256(path),
            "options_sha256": options_sha256(opts), "options": output_options(opts),
            "subtitles": {lang: {"path": str(Path(p).resolve()), "sha256": file_sha256(p)}
                          for lang, p in sorted((subtitles or {}).items())},
            **({"dubs": {lang: {"path": str(Path(p).resolve()), "sha256": file_sha256(p), "offset_s": off}
                         for lang, (p, off) in sorted(dubs.items())}} if dubs else {})}


# ---- one file, in a worker -------------------------------------------------------------------------------

@dataclass
class Prepared:
    """The outcome of the analysis step of one file."""
    plan: Plan | None
    input: dict
    reused: bool = False              # the plan on disk matched and was kept
    done: bool = False                # manifest and every output already in place: nothing to do
    analysis_seconds: dict | None = None


def prepare(path: str, target: str | os.PathLike, subtitles: dict[str, str] | None, opts: Options,
            resume: bool, dubs: dict[str, tuple] | None = None) -> Prepared:
    """Hash ``path``; with ``resume``, reuse what ``target`` holds for the same input; else analyze.
    ``dubs``: language -> (dub file, offset s or None), recorded in the plan (``verticalize.dub``)."""
    from verticalize.analysis import analyze
    from verticalize.dub import attach_dubs

    target = Path(target)
    block = input_block(path, subtitles, opts, dubs)
    if resume:
        plan = _matching_plan(target / "plan.json", block)
        if plan is not None:
            if _manifest_complete(target, block):
                return Prepared(plan, block, reused=True, done=True)
            return Prepared(plan, block, reused=True)
    plan = analyze(path, subtitles, opts)
    if dubs:
        attach_dubs(plan, {lang: p for lang, (p, _) in dubs.items()},
                    {lang: off for lang, (_, off) in dubs.items() if off is not None})
    seconds = plan.analysis.pop("seconds", None)  # timings go to the manifest: the plan stays reproducible
    plan.analysis["input"] = block
    return Prepared(plan, block, analysis_seconds=seconds)


def _matching_plan(path: Path, block: dict) -> Plan | None:
    if not path.is_file():
        return None
    try:
        plan = read_plan(path)
    except PlanError:
        return None
    return plan if plan.analysis.get("input") == block else None


def _manifest_complete(target: Path, block: dict) -> bool:
    manifest = read_manifest(target / "manifest.json")
    if manifest is None or manifest.get("input") != block:
        return False
    names = output_names(manifest)
    return bool(names) and all((target / n).is_file() for n in names)


def invalidate_outputs(target: Path, plan: Plan) -> None:
    """Remove the manifest and every output a fresh plan will write (and those the old manifest lists)."""
    names: set[str] = set()
    old = read_manifest(target / "manifest.json")
    if old is not None:
        try:
            names |= set(output_names(old))
        except AttributeError:  # not the schema: nothing to remove by name
            pass
    (target / "manifest.json").unlink(missing_ok=True)
    for task in episode_tasks(plan, target):
        out = Path(task.output)
        names |= {out.name, out.with_suffix(".srt").name, out.with_suffix(".vtt").name}
    for name in names:
        if "/" not in name and name not in ("plan.json", "manifest.json"):
            (target / name).unlink(missing_ok=True)


def finish_manifest(plan: Plan, entries: list[dict], prepared: Prepared) -> dict:
    manifest = build_manifest(plan, entries)
    manifest["input"] = prepared.input
    if prepared.analysis_seconds is not None:
        manifest["analysis_seconds"] = prepared.analysis_seconds
    return manifest


def run_file(path: str, target: str | os.PathLike, subtitles: dict[str, str] | None = None,
             opts: Options = DEFAULTS, resume: bool = False, dubs: dict[str, tuple] | None = None) -> dict:
    """Analyze and render one input in this process (no pool); returns the manifest."""
    from verticalize.render import render

    target = Path(target)
    check_encoder(opts.encoder)
    prep = prepare(path, target, subtitles, opts, resume, dubs)
    if prep.done:
        return read_manifest(target / "manifest.json")
    if not prep.reused:
        invalidate_outputs(target, prep.plan)
        write_plan(prep.plan, target / "plan.json")
    manifest = render(prep.plan, target, opts, skip_existing=prep.reused, manifest=False)
    manifest = finish_manifest(prep.plan, [o for ep in manifest["episodes"] for o in ep["outputs"]], prep)
    write_manifest(manifest, target / "manifest.json")
    return manifest


# ---- the batch -------------------------------------------------------------------------------------------

@dataclass
class FileResult:
    file: str
    status: str = "pending"          # done, skipped, failed, interrupted
    episodes: int = 0
    outputs: int = 0
    rendered: int = 0                # tasks rendered in this run (the rest were already in place)
    seconds: float = 0.0
    error: str = ""


@dataclass
class _FileState:
    index: int
    path: str
    target: Path
    result: FileResult
    t0: float = 0.0
    prepared: Prepared | None = None
    tasks: list[RenderTask] = field(default_factory=list)
    entries: dict[int, dict] = field(default_factory=dict)
    outstanding: int = 0
    tracks: Any = None
    retries: int = 0
    t_task: dict[int, float] = field(default_factory=dict)  # render start per task index


class LocalRunner:
    """Analyses in spawned worker processes, renders as ffmpeg processes from threads of this one
    (one process per group of one episode's outputs, see verticalize.render.render_groups)."""

    def __init__(self, slots: int, n_files: int):
        self.slots = slots
        self.n_analysis = max(1, min(slots, n_files))
        self._pool: ProcessPoolExecutor | None = None
        self._threads = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="render")

    def _analysis_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing
            import sys

            # After an interrupt the tracker may still hold the pool's queue semaphores and would warn
            # while unlinking them; it takes this interpreter's -W options, so tell it not to.
            quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
            if quiet not in sys.warnoptions:
                sys.warnoptions.append(quiet)
            self._pool = ProcessPoolExecutor(self.n_analysis, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_worker_init)
        return self._pool

    def check_encoder(self, encoder: str) -> None:
        check_encoder(encoder)

    def submit_prepare(self, *args) -> Future:
        if self._pool is not None:
            return self._pool.submit(prepare, *args)
        # the first submit spawns the workers: they start with SIGINT ignored (inherited), so a
        # Ctrl-C reaching the whole process group leaves them to the parent, which stops them
        with _sigint_ignored():
            return self._analysis_pool().submit(prepare, *args)

    def submit_render(self, plan: Plan, tasks: list[RenderTask], opts: Options, tracks) -> Future:
        """Render ``tasks`` (one episode) in one ffmpeg process; the future gives their entries."""
        return self._threads.submit(render_outputs, plan, tasks, opts, tracks)

    def reset_after_crash(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def release_analysis(self) -> None:
        """No analysis is left to run: end the idle workers so the renders have their memory."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:  # (on cancel the workers are stopped already: this only joins)
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None
        self._threads.shutdown(wait=True, cancel_futures=cancel)


@contextlib.contextmanager
def _sigint_ignored():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _worker_init() -> None:
    # The parent coordinates Ctrl-C. On SIGTERM a worker leaves at once: analysis writes no files,
    # and the parent stops the worker's ffmpeg decoders itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_now)
    os.environ["CI"] = "1"  # no per-frame tqdm bar from a worker: the parent draws the progress


def _exit_now(signum, frame):
    os._exit(128 + signum)


class _Interrupts:
    """SIGINT and SIGTERM raise KeyboardInterrupt, but not inside ``atomic()``: a file's outputs and its
    event (manifest written and "done" reported, or plan written and old outputs removed) go together."""

    def __init__(self):
        self.depth = 0
        self.pending = False

    def handler(self, signum, frame):
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def atomic(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                self.pending = False
                raise KeyboardInterrupt


def run_batch(inputs: list[str], outdir: str | os.PathLike, subtitles: dict[str, str] | None = None,
              opts: Options = DEFAULTS, *, resume: bool = False, reporter=None, runner=None,
              dubs: dict[str, tuple] | None = None) -> list[FileResult]:
    """Analyze and render every input into ``outdir/<stem>/``; returns one FileResult per input, in order.

    Errors of one file are caught and reported (``reporter.failed``); the
    others go on. ``runner`` defaults to the local pool with ``opts.jobs``
    slots (0: one per core); verticalize.farm.DaskRunner runs the same work on a
    Dask cluster.
    """
    from verticalize.progress import NullReporter

    reporter = reporter or NullReporter()
    targets = target_dirs(inputs, outdir)
    runner = runner or LocalRunner(opts.jobs or os.cpu_count() or 1, len(inputs))
    runner.check_encoder(opts.encoder)  # before any work: where the renders run
    return _Scheduler(inputs, targets, subtitles, opts, resume, reporter, runner, dubs).run()


class _Scheduler:
    """One batch: keeps at most ``runner.slots`` units of work running (an analysis, or one render),
    renders of earlier files first, and turns each finished unit into the file's next step."""

    def __init__(self, inputs, targets, subtitles, opts: Options, resume: bool, reporter, runner, dubs=None):
        self.subtitles, self.opts, self.resume, self.dubs = subtitles, opts, resume, dubs
        self.reporter, self.runner = reporter, runner
        self.slots = runner.slots
        self.states = [_FileState(i, p, t, FileResult(p)) for i, (p, t) in enumerate(zip(inputs, targets))]
        self.waiting = list(self.states)     # not yet analysed, in order
        # ready groups (one ffmpeg process each: task indices of one episode), earliest file first
        self.renders: list[tuple[int, list[int], _FileState]] = []
        self.running: dict[Future, tuple[str, _FileState, list[int] | None]] = {}
        self.interrupts = _Interrupts()

    def run(self) -> list[FileResult]:
        self.reporter.begin([s.path for s in self.states])
        t_batch = time.perf_counter()
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread:
            old_handlers = {sig: signal.signal(sig, self.interrupts.handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.dispatch()
            while self.running:
                finished, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
                crashed = False
                for fut in finished:
                    crashed |= self.completed(fut)
                if crashed:
                    self.runner.reset_after_crash()
                elif not self.waiting and not any(kind == "prepare" for kind, _, _ in self.running.values()):
                    self.runner.release_analysis()
                self.dispatch()
            self.runner.close()
        except KeyboardInterrupt:
            _stop(self.runner, self.states)
            for s in self.states:
                if s.result.status == "pending":
                    s.result.status = "interrupted"
            self.reporter.summary([s.result for s in self.states], round(time.perf_counter() - t_batch, 3),
                                  interrupted=True)
            raise
        finally:
            if main_thread:
                for sig, old in old_handlers.items():
                    signal.signal(sig, old)
        results = [s.result for s in self.states]
        self.reporter.summary(results, round(time.perf_counter() - t_batch, 3))
        return results

    def dispatch(self) -> None:
        """Start units of work until every slot is busy: renders first, then the next analysis."""
        while len(self.running) < self.slots and (self.renders or self.waiting):
            if self.renders:
                _, ks, state = self.renders.pop(0)
                fut = self.runner.submit_render(state.prepared.plan, [state.tasks[k] for k in ks], self.opts,
                                                state.tracks)
                self.running[fut] = ("render", state, ks)
                for k in ks:
                    state.t_task[k] = time.perf_counter()
            else:
                state = self.waiting.pop(0)
                if not state.t0:
                    state.t0 = time.perf_counter()
                    self.reporter.start(state.path)
                fut = self.runner.submit_prepare(state.path, str(state.target), self.subtitles, self.opts, self.resume,
                                                 self.dubs)
                self.running[fut] = ("prepare", state, None)

    def completed(self, fut: Future) -> bool:
        """Take a finished unit's result; True when the analysis worker pool broke."""
        kind, state, ks = self.running.pop(fut)
        try:
            value = fut.result()
        except BrokenProcessPool as e:
            state.retries += 1
            if state.retries > 1:
                self.fail(state, InputError(f"the analysis process died ({e})", state.path))
            else:
                self.waiting.insert(0, state)
            return True
        except Exception as e:  # one bad file never stops the others
            if kind == "render":
                state.outstanding -= len(ks)
                self.renders[:] = [r for r in self.renders if r[2] is not state]
            self.fail(state, e)
            return False
        if kind == "prepare":
            if state.result.status != "failed":
                try:
                    with self.interrupts.atomic():
                        self.analysed(state, value)
                except Exception as e:
                    self.fail(state, e)
            return False
        for k, entry in zip(ks, value):
            task = state.tasks[k]
            state.entries[k] = entry
            state.outstanding -= 1
            state.result.rendered += 1
            self.reporter.task(state.path, task.episode, task.lang,
                               round(time.perf_counter() - state.t_task[k], 3), skipped=False)
        if state.outstanding == 0 and state.result.status != "failed":
            try:
                with self.interrupts.atomic():
                    self.finish(state)
            except Exception as e:
                self.fail(state, e)
        return False

    def fail(self, state: _FileState, err: BaseException) -> None:
        msg = str(err) if isinstance(err, VerticalizeError) else f"internal error: {type(err).__name__}: {err}"
        if state.path not in msg and str(Path(state.path).resolve()) not in msg:
            msg = f"{state.path}: {msg}"
        if state.result.status != "failed":
            state.result.status, state.result.error = "failed", msg
            state.result.seconds = round(time.perf_counter() - state.t0, 3)
            self.reporter.failed(state.path, msg, state.result.seconds)
        if os.environ.get("VERTICALIZE_DEBUG") == "1":  # the traceback too (remote ones include the worker's)
            import traceback

            traceback.print_exception(err)

    def finish(self, state: _FileState) -> None:
        plan = state.prepared.plan
        entries = [state.entries[k] for k in range(len(state.tasks))]
        write_manifest(finish_manifest(plan, entries, state.prepared), state.target / "manifest.json")
        r = state.result
        r.status, r.episodes, r.outputs = "done", len(plan.episodes), len(entries)
        r.seconds = round(time.perf_counter() - state.t0, 3)
        self.reporter.done(state.path, r.episodes, r.outputs, r.rendered, r.seconds, skipped=False)

    def analysed(self, state: _FileState, prep: Prepared) -> None:
        from subtitles import load_tracks

        state.prepared = prep
        plan = prep.plan
        r = state.result
        if prep.done:
            manifest = read_manifest(state.target / "manifest.json")
            r.status, r.episodes = "skipped", len(manifest["episodes"])
            r.outputs = sum(len(e["outputs"]) for e in manifest["episodes"])
            r.seconds = round(time.perf_counter() - state.t0, 3)
            self.reporter.done(state.path, r.episodes, r.outputs, 0, r.seconds, skipped=True)
            return
        if not prep.reused:
            invalidate_outputs(state.target, plan)
            write_plan(plan, state.target / "plan.json")
        state.tracks = load_tracks(plan.subtitles)
        state.tasks = episode_tasks(plan, state.target)
        self.reporter.analysed(state.path, len(plan.episodes), len(state.tasks), prep.reused)
        todo = []
        for k, task in enumerate(state.tasks):
            entry = existing_entry(plan, task, state.tracks) if prep.reused else None
            if entry is not None:
                state.entries[k] = entry
                self.reporter.task(state.path, task.episode, task.lang, 0.0, skipped=True)
            else:
                todo.append(task)
        index = {id(task): k for k, task in enumerate(state.tasks)}
        for group in render_groups(todo, self.opts.encoders_per_process):
            self.renders.append((state.index, [index[id(t)] for t in group], state))
            state.outstanding += len(group)
        self.renders.sort(key=lambda x: (x[0], x[1][0]))
        if state.outstanding == 0:
            self.finish(state)


def stop_children(timeout_s: float = 5.0) -> None:
    """Terminate every process this one started (and theirs), then kill what is left after ``timeout_s``."""
    import psutil

    me = psutil.Process()
    try:
        children = me.children(recursive=True)
    except psutil.Error:
        return
    # multiprocessing's resource tracker ignores SIGTERM and exits by itself once its users are gone
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    children = [p for p in children if p.pid != tracker]
    for p in children:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=timeout_s)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=timeout_s)


def _stop(runner, states: list[_FileState]) -> None:
    """After SIGINT/SIGTERM: stop the workers and ffmpeg, wait for render threads, remove partial files."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    try:
        cancel = getattr(runner, "cancel", None)
        if cancel:
            cancel()
        stop_children()
        runner.close(cancel=True)
        stop_children(1.0)  # an ffmpeg a render thread started while we stopped the others
        for s in states:
            remove_partials(s.target)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
