"""Render farms: the task list of a plan, and running analyses and renders on a Dask cluster.

A task is one episode in one or more languages (``verticalize tasks``; with
``--per-language`` one task per episode and language): ``verticalize render
PLAN -o OUTDIR --episode N --lang L`` writes ``OUTDIR/epNNN.L.mp4``
(``epNNN.mp4`` without subtitles), and the same plan and options give the same
bytes on any host, whether or not the file was rendered beside other languages
(x264 runs with a fixed thread count, ``Options.x264_threads``; at 1080x1920 the bytes repeat with 1).

``--scheduler tcp://HOST:PORT`` sends the same work to a ``dask.distributed``
cluster: one analysis per input, then one task per episode (its languages in
groups of at most ``encoders_per_process``).
Workers read the inputs and write the outputs at the same paths as the
client, so the cluster needs a shared filesystem (or runs on one host).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan
from verticalize.manifest import build_manifest, merge_manifest, write_manifest
from verticalize.render import RenderTask, check_encoder, episode_tasks, render_groups, render_outputs
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
    from verticalize.batch import prepare

    return prepare(*args)


def _render_remote(plan: Plan, tasks: list[RenderTask], opts: Options) -> list[dict]:
    return render_outputs(plan, tasks, opts)


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
                       resume: bool, dubs: dict[str, tuple] | None = None) -> Future:
        # workers may run elsewhere: absolute paths only
        subtitles = {lang: str(Path(p).resolve()) for lang, p in (subtitles or {}).items()} or None
        dubs = {lang: (str(Path(p).resolve()), off) for lang, (p, off) in (dubs or {}).items()} or None
        return self._submit(_prepare_remote, str(Path(path).resolve()), str(Path(target).resolve()), subtitles,
                            opts, resume, dubs)

    def submit_render(self, plan: Plan, tasks: list[RenderTask], opts: Options, tracks) -> Future:
        tasks = [RenderTask(t.episode, t.lang, Path(t.output).resolve()) for t in tasks]
        return self._submit(_render_remote, plan, tasks, opts)

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

    outdir = Path(outdir).resolve()
    wanted = langs if langs is not None else plan.languages
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]
    client = connect(address)
    try:
        check_encoder_on_workers(client, opts.encoder)
        outdir.mkdir(parents=True, exist_ok=True)
        groups = render_groups(tasks, opts.encoders_per_process)
        futures = [client.submit(_render_remote, plan, g, opts, pure=False) for g in groups]
        try:
            entries = [entry for got in client.gather(futures) for entry in got]
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
    if episodes is not None or langs is not None:  # some tasks: added to the folder's manifest
        return merge_manifest(plan, entries, outdir / "manifest.json")
    result = build_manifest(plan, entries, episodes)
    write_manifest(result, outdir / "manifest.json")
    return result
