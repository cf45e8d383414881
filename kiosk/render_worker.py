"""Paper is made, and scanned sheets are read, in child processes, so the web app never imports
the paper libraries, numpy nor OpenCV.

fpdf2 (and fontTools when it subsets a font), pypdf, qrcode, img2pdf and pikepdf together add
about 35 MB RSS to a process, and a Python process does not give library memory back: after
the first printed report the web app would keep it for the rest of the day
(bench/memory_bench.py). So the functions that make a PDF run here: ``run(fn, *args)`` calls a
module-level ``fn`` in one child process and returns its result (plain bytes, paths and frozen
dataclasses go both ways by pickle). The child unpickles ``fn`` by importing its module, so
``fn`` lives in kiosk.paper, whose modules import only what making paper needs.

The child is a fresh interpreter (``python -c``, running kiosk.paper.child), not a fork: the
web app is waitress with 8 threads, and a fork copies whatever lock another thread held at
that moment (logging, sqlite, malloc arenas), which can deadlock the child. It is started
with subprocess, not multiprocessing: multiprocessing's spawn starts its resource tracker
with the first child, a third interpreter (about 12 MB RSS) that lives as long as the web app
and that this child, which shares no semaphore nor shared memory, does not need. The two talk
over a socket pair, one job at a time (kiosk.paper.child's frames).

The spawn costs one Python start and the library imports (bench/memory_bench.py prints it);
the child then stays warm for KEEP_WARM_S after the last job, so the copies of one document
pay it once, and is then let go, giving its memory back to the system. It also ends after
TASKS_PER_CHILD jobs, so a long day cannot grow it.

A child that dies (killed, out of memory, a crash in a C library) fails the job with
``RenderChildLost``, a ``PrintFailed``: the callers already record a failed print, keep the job
to retry, and tell the officers in Bahasa Indonesia that the printer refused the job and to press
Retry; the next job starts a new child. Exceptions raised by ``fn`` come back as they are.

The same machinery serves a second kind of child, the sheet reader (kiosk.chasil.readings runs
kiosk.reader.page in it): a ``Worker`` is one kind of child, ``paper`` below is the paper
child's, and ``run``, ``child_pids`` and ``shutdown`` are its. The reader's child may load numpy
and OpenCV (the paper child keeps numpy out); its lost child is a ``ReaderChildLost``, which
fails the page's reading, not a print.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from drivers.errors import PrintFailed
from kiosk.paper.child import read_frame, write_frame

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

KEEP_WARM_S = 180.0
TASKS_PER_CHILD = 200
# "1": make paper in this process (a CLI or a bench that wants the old path for comparison;
# the child itself, so that paper made inside it is made right there, not in a grandchild).
INLINE_ENV = "KIOSK_RENDER_INLINE"
EXIT_WAIT_S = 5.0  # a child let go ends as soon as it reads the socket's end

# The parent's sys.path, as multiprocessing's spawn gives its child: the job's modules are
# found where the web app (or a test) found them.
_BOOT = (
    "import sys\nsys.path[:] = {path!r}\nfrom kiosk.paper.child import serve\n"
    "serve({fd}, block_numpy={block_numpy})\n"
)


class ChildLost(Exception):
    """A worker's child process ended before it answered."""


class RenderChildLost(ChildLost, PrintFailed):
    """The child process that makes the paper ended before it answered."""


class ReaderChildLost(ChildLost):
    """The child process that reads a scanned sheet ended before it answered (killed, out of
    memory, a crash in OpenCV)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in the child (its ``__cause__``), for the log."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


class _Child:
    """One child process and the parent's end of its socket."""

    def __init__(self, kind: str, block_numpy: bool) -> None:
        ours, theirs = socket.socketpair()
        boot = _BOOT.format(path=sys.path, fd=theirs.fileno(), block_numpy=block_numpy)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", boot],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env={**os.environ, INLINE_ENV: "1"},
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.kind = kind
        self.sock = ours
        self.jobs = 0

    def call(self, job: bytes) -> tuple[bool, object, str]:
        """Send ``job``, wait for the answer; EOFError or OSError when the child went."""
        write_frame(self.sock, job)
        answer = read_frame(self.sock)
        try:
            return cast(tuple[bool, object, str], pickle.loads(answer))
        except Exception as exc:  # an exception class that does not unpickle
            lost = RuntimeError(f"the {self.kind} child's answer did not unpickle: {exc!r}")
            return False, lost, ""

    def close(self, kill: bool = False) -> None:
        """End the child: the socket's end tells it to go; kill it if it does not (at once
        with ``kill``: a job in flight is given up, and its caller gets EOF)."""
        if kill:
            self.proc.kill()
        # shutdown wakes a thread of ours blocked reading the socket; close alone would not.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        try:
            self.proc.wait(timeout=EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Worker:
    """One kind of child process (``kind`` names it in logs and errors): started by the first
    job, one job at a time through it (the others wait, as they waited for a pool), let go
    ``keep_warm_s`` after the last job (None: the module's ``KEEP_WARM_S``, read when the job
    ends) and after ``tasks_per_child`` jobs. A child that ends before it answers raises
    ``lost`` in the caller; the next job starts a new child. ``block_numpy``: the child keeps
    numpy out (kiosk.paper.child)."""

    def __init__(
        self,
        kind: str,
        lost: type[ChildLost],
        *,
        block_numpy: bool,
        keep_warm_s: float | None = None,
        tasks_per_child: int = TASKS_PER_CHILD,
    ) -> None:
        self.kind = kind
        self.lost = lost
        self.block_numpy = block_numpy
        self.keep_warm_s = keep_warm_s
        self.tasks_per_child = tasks_per_child
        self._lock = threading.Lock()  # guards the fields below
        self._job = threading.Lock()  # one job at a time through the child
        self._child: _Child | None = None
        self._idle: threading.Timer | None = None
        self._busy = 0

    def _keep_warm(self) -> float:
        return KEEP_WARM_S if self.keep_warm_s is None else self.keep_warm_s

    def _let_go(self, child: _Child) -> None:
        with self._lock:
            if self._child is not child or self._busy:
                return
            self._child = None
        child.close()
        log.info("%s child let go after %.0f s idle", self.kind, self._keep_warm())

    def _drop(self, child: _Child) -> None:
        with self._lock:
            if self._child is child:
                self._child = None
        child.close()

    def _in_child(self, job: bytes, name: str) -> tuple[bool, object, str]:
        with self._job:
            with self._lock:
                child = self._child
            if child is None:
                child = _Child(self.kind, self.block_numpy)
                with self._lock:
                    self._child = child
            try:
                answer = child.call(job)
            except (EOFError, OSError) as exc:
                with self._lock:
                    stopped = self._child is not child  # shutdown() took it: not a failure
                child.proc.kill()  # a child that broke the socket but lives would make nothing
                self._drop(child)
                log.log(
                    logging.INFO if stopped else logging.ERROR,
                    "%s child ended while running %s: %s",
                    self.kind,
                    name,
                    "stopped" if stopped else exc,
                )
                detail = f"the {self.kind} child process ended while running {name}"
                raise self.lost(detail) from exc
            child.jobs += 1
            if child.jobs >= self.tasks_per_child:
                self._drop(child)
            return answer

    def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)`` in the child; ``fn`` must be a module-level function."""
        if os.environ.get(INLINE_ENV) == "1":
            return fn(*args, **kwargs)
        job = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            self._busy += 1
        try:
            ok, value, remote = self._in_child(job, fn.__qualname__)
        finally:
            with self._lock:
                self._busy -= 1
                if not self._busy and self._child is not None:
                    self._idle = threading.Timer(self._keep_warm(), self._let_go, (self._child,))
                    self._idle.daemon = True
                    self._idle.start()
        if not ok:
            raise cast(BaseException, value) from RemoteTraceback(remote)
        return cast(R, value)

    def child_pids(self) -> list[int]:
        """The child's process id, when one runs (benchmarks and tests)."""
        with self._lock:
            child = self._child
        return [child.proc.pid] if child is not None else []

    def shutdown(self, kill: bool = False) -> None:
        """Let the child go now (tests; at the process's exit). ``kill``: also when it is in
        the middle of a job, which then fails with ``lost``."""
        with self._lock:
            child, self._child = self._child, None
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
        if child is not None:
            child.close(kill)


paper = Worker("paper", RenderChildLost, block_numpy=True)


def run(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` in the paper child; ``fn`` must be a module-level function."""
    return paper.run(fn, *args, **kwargs)


def child_pids() -> list[int]:
    """The paper child's process id, when one runs (benchmarks and tests)."""
    return paper.child_pids()


def shutdown() -> None:
    """Let the paper child go now (tests; at the process's exit)."""
    paper.shutdown()


atexit.register(shutdown)
