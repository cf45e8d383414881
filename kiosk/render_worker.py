"""Paper is made in a child process, so the web app never imports the paper libraries.

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
"""

from __future__ import annotations

import atexit
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
_BOOT = "import sys\nsys.path[:] = {path!r}\nfrom kiosk.paper.child import serve\nserve({fd})\n"


class RenderChildLost(PrintFailed):
    """The child process that makes the paper ended before it answered."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in the child (its ``__cause__``), for the log."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


class _Child:
    """One child process and the parent's end of its socket."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT.format(path=sys.path, fd=theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env={**os.environ, INLINE_ENV: "1"},
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.jobs = 0

    def call(self, job: bytes) -> tuple[bool, object, str]:
        """Send ``job``, wait for the answer; EOFError or OSError when the child went."""
        write_frame(self.sock, job)
        answer = read_frame(self.sock)
        try:
            return cast(tuple[bool, object, str], pickle.loads(answer))
        except Exception as exc:  # an exception class that does not unpickle
            return False, RuntimeError(f"the paper child's answer did not unpickle: {exc!r}"), ""

    def close(self) -> None:
        """End the child: the socket's end tells it to go; kill it if it does not."""
        self.sock.close()
        try:
            self.proc.wait(timeout=EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _State:
    """The one child of this process, and who is using it (under ``lock``); ``job`` lets one
    job at a time through the child, the others wait for it as they waited for the pool."""

    lock = threading.Lock()
    job = threading.Lock()
    child: _Child | None = None
    idle: threading.Timer | None = None
    busy = 0


def _let_go(child: _Child) -> None:
    with _State.lock:
        if _State.child is not child or _State.busy:
            return
        _State.child = None
    child.close()
    log.info("paper child let go after %.0f s idle", KEEP_WARM_S)


def _drop(child: _Child) -> None:
    with _State.lock:
        if _State.child is child:
            _State.child = None
    child.close()


def _in_child(job: bytes, name: str) -> tuple[bool, object, str]:
    with _State.job:
        with _State.lock:
            child = _State.child
        if child is None:
            child = _Child()
            with _State.lock:
                _State.child = child
        try:
            answer = child.call(job)
        except (EOFError, OSError) as exc:
            child.proc.kill()  # a child that broke the socket but lives would make nothing
            _drop(child)
            log.error("paper child ended while making %s: %s", name, exc)
            raise RenderChildLost(f"the paper child process ended while making {name}") from exc
        child.jobs += 1
        if child.jobs >= TASKS_PER_CHILD:
            _drop(child)
        return answer


def run(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` in the paper child; ``fn`` must be a module-level function."""
    if os.environ.get(INLINE_ENV) == "1":
        return fn(*args, **kwargs)
    job = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    with _State.lock:
        if _State.idle is not None:
            _State.idle.cancel()
            _State.idle = None
        _State.busy += 1
    try:
        ok, value, remote = _in_child(job, fn.__qualname__)
    finally:
        with _State.lock:
            _State.busy -= 1
            if not _State.busy and _State.child is not None:
                _State.idle = threading.Timer(KEEP_WARM_S, _let_go, (_State.child,))
                _State.idle.daemon = True
                _State.idle.start()
    if not ok:
        raise cast(BaseException, value) from RemoteTraceback(remote)
    return cast(R, value)


def child_pids() -> list[int]:
    """The paper child's process id, when one runs (benchmarks and tests)."""
    with _State.lock:
        child = _State.child
    return [child.proc.pid] if child is not None else []


def shutdown() -> None:
    """Let the child go now (tests; at the process's exit)."""
    with _State.lock:
        child, _State.child = _State.child, None
        if _State.idle is not None:
            _State.idle.cancel()
            _State.idle = None
    if child is not None:
        child.close()


atexit.register(shutdown)
