"""What a batch tells the user while it runs: rich bars on stderr, JSON events on stdout, a summary.

Events (``--json``: one object per line on stdout, flushed), each with
``event``, ``file`` and ``t`` (seconds since the batch began):

* ``start``: the file's analysis was dispatched
* ``progress``: ``stage`` "analysed" (``episodes``, ``tasks``, ``reused``: the plan on disk was kept)
  or "rendered" (``episode``, ``lang``, ``seconds``, ``skipped``: the output was already in place)
* ``done``: ``episodes``, ``outputs``, ``rendered`` (tasks rendered in this run), ``seconds``,
  ``skipped`` (everything was already done)
* ``failed``: ``error`` (the same line printed on stderr), ``seconds``
* ``summary`` (no ``file``): ``files``, ``done``, ``skipped``, ``failed``, ``interrupted``, ``seconds``

Every failure is one line on stderr: ``verticalize: error: FILE: problem``.
"""
from __future__ import annotations

import json
import sys
import time


class NullReporter:
    def begin(self, files): pass
    def start(self, file): pass
    def analysed(self, file, episodes, tasks, reused): pass
    def task(self, file, episode, lang, seconds, skipped): pass
    def done(self, file, episodes, outputs, rendered, seconds, skipped): pass
    def failed(self, file, error, seconds): pass
    def summary(self, results, seconds, interrupted=False): pass


class BatchReporter(NullReporter):
    """Bars on stderr when it is a terminal (plain lines otherwise), JSON events or a table on stdout."""

    def __init__(self, json_events: bool = False, prog: str = "verticalize", stdout=None, stderr=None):
        from rich.console import Console

        self.json = json_events
        self.prog = prog
        self.out = stdout or sys.stdout
        self.err = Console(file=stderr or sys.stderr, stderr=stderr is None, highlight=False, soft_wrap=True)
        self.t0 = time.perf_counter()
        self.progress = None
        self.bars: dict[str, int] = {}
        self.overall = None
        self.total = 0
        self.finished = 0

    # -- events
    def _event(self, event: str, **fields) -> None:
        if self.json:
            fields = {"event": event, **fields, "t": round(time.perf_counter() - self.t0, 3)}
            self.out.write(json.dumps(fields, ensure_ascii=False) + "\n")
            self.out.flush()

    def _line(self, text: str) -> None:
        """A plain progress line on stderr, only when no bars are drawn and no JSON is asked for."""
        if self.progress is None and not self.json:
            self.err.print(f"{self.prog}: {text}", markup=False)

    def begin(self, files):
        self.total = len(files)
        if self.err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                     MofNCompleteColumn(), TextColumn("{task.fields[stage]}", markup=False),
                                     TimeElapsedColumn(), console=self.err, transient=False)
            self.progress.start()
            self.overall = self.progress.add_task("all files", total=self.total, stage="")
            for f in files:
                self.bars[f] = self.progress.add_task(_short(f), total=None, stage="waiting", start=False)

    def start(self, file):
        self._event("start", file=file)
        if self.progress:
            self.progress.start_task(self.bars[file])
            self.progress.update(self.bars[file], stage="analysing")

    def analysed(self, file, episodes, tasks, reused):
        self._event("progress", file=file, stage="analysed", episodes=episodes, tasks=tasks, reused=reused)
        if self.progress:
            self.progress.update(self.bars[file], total=tasks, completed=0, stage="rendering")

    def task(self, file, episode, lang, seconds, skipped):
        self._event("progress", file=file, stage="rendered", episode=episode, lang=lang, seconds=seconds,
                    skipped=skipped)
        if self.progress:
            self.progress.advance(self.bars[file])

    def done(self, file, episodes, outputs, rendered, seconds, skipped):
        self.finished += 1
        self._event("done", file=file, episodes=episodes, outputs=outputs, rendered=rendered, seconds=seconds,
                    skipped=skipped)
        self._line(f"[{self.finished}/{self.total}] {file}: {'already done' if skipped else 'done'}, "
                   f"{episodes} episodes, {outputs} files, {seconds:.1f} s")
        if self.progress:
            self.progress.update(self.bars[file], total=max(outputs, 1), completed=max(outputs, 1),
                                 stage="skipped" if skipped else "done")
            self.progress.advance(self.overall)

    def failed(self, file, error, seconds):
        self.finished += 1
        self._event("failed", file=file, error=error, seconds=seconds)
        self.err.print(f"{self.prog}: error: {error}", markup=False)
        if self.progress:
            self.progress.update(self.bars[file], stage="failed")
            self.progress.advance(self.overall)

    def summary(self, results, seconds, interrupted=False):
        if self.progress:
            self.progress.stop()
            self.progress = None
        counts = {k: sum(1 for r in results if r.status == k) for k in ("done", "skipped", "failed", "interrupted")}
        if self.json:
            self._event("summary", files=len(results), **counts, seconds=seconds)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(results)} files in {seconds:.1f} s: " + ", ".join(
            f"{v} {k}" for k, v in counts.items() if v))
        for col in ("file", "status", "episodes", "seconds", "error"):
            table.add_column(col, justify="right" if col in ("episodes", "seconds") else "left")
        for r in results:
            table.add_row(r.file, r.status, str(r.episodes) if r.status in ("done", "skipped") else "",
                          f"{r.seconds:.1f}" if r.seconds else "", r.error)
        console = Console(file=self.out, highlight=False)
        if not console.is_terminal:  # a pipe or a file: wide enough that paths and errors stay on one row
            console = Console(file=self.out, highlight=False, width=240)
        console.print(table)


def _short(path: str, width: int = 32) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1):]
