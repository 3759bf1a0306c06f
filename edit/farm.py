"""Render farms: the task list of a plan, and running analyses and renders on a Dask cluster.

A task is one episode in one language: ``verticalize render PLAN -o OUTDIR
--episode N --lang L`` writes ``OUTDIR/epNNN.L.mp4`` (``epNNN.mp4`` without
subtitles), and the same plan and options give the same bytes on any host
(x264 runs with a fixed thread count; see edit.render.X264_THREADS).

``--scheduler tcp://HOST:PORT`` sends the same work to a ``dask.distributed``
cluster: one analysis per input, then one task per episode and language.
Workers read the inputs and write the outputs at the same paths as the
client, so the cluster needs a shared filesystem (or runs on one host).
"""
from __future__ import annotations

import json
import os
import shlex
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from edit.defaults import DEFAULTS, Options
from edit.plan import Plan
from edit.render import RenderTask, build_manifest, check_encoder, episode_tasks, merge_manifest, render_episode
from verticalize.errors import OptionsError


def connect(address: str):
    """A dask.distributed Client for ``address``; OptionsError in one line when nobody answers."""
    from distributed import Client

    if not address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise OptionsError(f"--scheduler {address!r} is not an address like tcp://HOST:PORT")
    try:
        return Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise OptionsError(f"--scheduler {address}: cannot connect ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None


def check_encoder_on_workers(client, encoder: str) -> None:
    """check_encoder on every worker of ``client`` (the renders run there, not here)."""
    from verticalize.errors import RenderError

    for worker, error in sorted(client.run(_encoder_error, encoder).items()):
        if error:
            raise RenderError(f"{error} (on worker {worker})")


def _encoder_error(encoder: str) -> str | None:
    from verticalize.errors import RenderError

    try:
        check_encoder(encoder)
    except RenderError as e:
        return str(e)
    return None


def _prepare_remote(*args):
    from edit.batch import prepare

    return prepare(*args)


def _render_remote(plan: Plan, task: RenderTask, opts: Options) -> dict:
    return render_episode(plan, task, opts)


class DaskRunner:
    """The batch's runner on a Dask cluster: every analysis and render is one Dask task.

    ``slots`` (how many run at once) is ``jobs`` or, when 0, the cluster's
    thread count. Each waiting future is watched by a local thread, so the
    batch loop is the same as with the local pool.
    """

    def __init__(self, address: str, jobs: int = 0):
        self.client = connect(address)
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = jobs or threads
        self._watch = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="dask-wait")
        self._futures: set = set()
        self._lock = threading.Lock()

    def _submit(self, fn, *args) -> Future:
        remote = self.client.submit(fn, *args, pure=False)
        with self._lock:
            self._futures.add(remote)

        def result():
            try:
                return remote.result()
            finally:
                with self._lock:
                    self._futures.discard(remote)

        return self._watch.submit(result)

    def check_encoder(self, encoder: str) -> None:
        check_encoder_on_workers(self.client, encoder)

    def submit_prepare(self, path: str, target: str, subtitles: dict[str, str] | None, opts: Options,
                       resume: bool) -> Future:
        # workers may run elsewhere: absolute paths only
        subtitles = {lang: str(Path(p).resolve()) for lang, p in (subtitles or {}).items()} or None
        return self._submit(_prepare_remote, str(Path(path).resolve()), str(Path(target).resolve()), subtitles,
                            opts, resume)

    def submit_render(self, plan: Plan, task: RenderTask, opts: Options, tracks) -> Future:
        task = RenderTask(task.episode, task.lang, Path(task.output).resolve())
        return self._submit(_render_remote, plan, task, opts)

    def release_analysis(self) -> None:
        """Nothing to free here: the cluster's workers manage their own memory."""

    def reset_after_crash(self) -> None:
        pass

    def cancel(self) -> None:
        """Cancel what the cluster still holds (a task already running there runs to its end)."""
        with self._lock:
            futures = list(self._futures)
        if futures:
            self.client.cancel(futures)

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self.cancel()
        self._watch.shutdown(wait=not cancel, cancel_futures=cancel)

    def shutdown(self) -> None:
        self.close()
        self.client.close()


def render_on_cluster(address: str, plan: Plan, outdir: str | os.PathLike, opts: Options = DEFAULTS,
                      langs: list[str] | None = None, episodes: list[int] | None = None) -> dict:
    """``render()`` with every task on the cluster; writes manifest.json here when all are done."""
    from edit.plan import write_json_atomic

    outdir = Path(outdir).resolve()
    wanted = langs if langs is not None else list(plan.subtitles)
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]
    client = connect(address)
    try:
        check_encoder_on_workers(client, opts.encoder)
        outdir.mkdir(parents=True, exist_ok=True)
        futures = [client.submit(_render_remote, plan, t, opts, pure=False) for t in tasks]
        try:
            entries = client.gather(futures)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
    if episodes is not None or langs is not None:  # some tasks: added to the folder's manifest
        return merge_manifest(plan, entries, outdir / "manifest.json")
    result = build_manifest(plan, entries, episodes)
    write_json_atomic(result, outdir / "manifest.json")
    return result


RENDER_OPTIONS = ("encoder", "preset", "crf", "platform")  # the options a render task's bytes depend on


def task_list(plan_path: str | os.PathLike, outdir: str | os.PathLike, overrides: dict | None = None) -> list[dict]:
    """One entry per episode x language: episode, lang, output, command (argv), frames.

    The commands render with the options the plan was made with (``verticalize
    run`` records them in the plan), so they reproduce that run's bytes;
    ``overrides`` (non-None values) win, then the defaults.
    """
    from edit.defaults import check_options
    from edit.plan import read_plan

    plan_path = Path(plan_path).resolve()
    plan = read_plan(plan_path)
    recorded = plan.analysis.get("input", {}).get("options", {})
    values = {k: (overrides or {}).get(k) for k in RENDER_OPTIONS}
    values = {k: v if v is not None else recorded.get(k, getattr(DEFAULTS, k)) for k, v in values.items()}
    opts = DEFAULTS.with_(**values)
    check_options(opts)
    outdir = Path(outdir).resolve()
    out = []
    for task in episode_tasks(plan, outdir):
        ep = plan.episodes[task.episode - 1]
        recap = ep.get("recap")
        frames = ep["end"] - ep["start"] + (recap["end"] - recap["start"] if recap else 0)
        cmd = ["verticalize", "render", str(plan_path), "-o", str(outdir), "--episode", str(task.episode)]
        if task.lang:
            cmd += ["--lang", task.lang]
        cmd += ["--encoder", opts.encoder, "--preset", opts.preset, "--crf", str(opts.crf),
                "--platform", opts.platform, "--jobs", "1"]
        out.append({"episode": task.episode, "lang": task.lang, "output": str(task.output), "frames": frames,
                    "command": cmd, "shell": shlex.join(cmd)})
    return out


def add_commands(sub) -> dict:
    from edit.defaults import ENCODERS

    t = sub.add_parser("tasks", help="print a plan's render tasks (one per episode x language) as JSON")
    t.add_argument("plan", metavar="PLAN")
    t.add_argument("-o", "--output", metavar="OUTDIR", help="where the renders go (default: the plan's folder)")
    t.add_argument("--platform", help="subtitle safe zone (default: as the plan was made)")
    t.add_argument("--preset", help="x264 preset (default: as the plan was made)")
    t.add_argument("--crf", type=int, help="x264 CRF 0..51 (default: as the plan was made)")
    t.add_argument("--encoder", choices=ENCODERS, help="video encoder (default: as the plan was made)")
    return {"tasks": _cmd_tasks}


def _cmd_tasks(args) -> int:
    outdir = args.output or str(Path(args.plan).resolve().parent)
    overrides = {k: getattr(args, k, None) for k in RENDER_OPTIONS}
    json.dump(task_list(args.plan, outdir, overrides), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
