"""Paper is made in a child process, so the web app never imports the paper libraries.

fpdf2 (and fontTools when it subsets a font), pypdf, qrcode, img2pdf and pikepdf together add
about 35 MB RSS to a process, and a Python process does not give library memory back: after
the first printed report the web app would keep it for the rest of the day
(bench/memory_bench.py). So the functions that make a PDF run here: ``run(fn, *args)`` calls a
module-level ``fn`` in one child process and returns its result (plain bytes, paths and frozen
dataclasses go both ways by pickle).

The child is *spawned* (a fresh interpreter), not forked: the web app is waitress with 8
threads, and a fork copies whatever lock another thread held at that moment (logging, sqlite,
malloc arenas), which can deadlock the child. forkserver would avoid that too, but keeps a
third interpreter alive for the whole day. The spawn costs one Python start and the library
imports (bench/memory_bench.py prints it); the child then stays warm for KEEP_WARM_S after the
last job, so the copies of one document pay it once, and is then let go, giving its memory
back to the system. It also ends after TASKS_PER_CHILD jobs, so a long day cannot grow it.

A child that dies (killed, out of memory, a crash in a C library) fails the job with
``RenderChildLost``, a ``PrintFailed``: the callers already record a failed print, keep the job
to retry, and tell the officers in Bahasa Indonesia that the printer refused the job and to press
Retry; the next job starts a new child. Exceptions raised by ``fn`` come back as they are.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from drivers.errors import PrintFailed

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

KEEP_WARM_S = 180.0
TASKS_PER_CHILD = 200
# "1": make paper in this process (a CLI or a bench that wants the old path for comparison).
INLINE_ENV = "KIOSK_RENDER_INLINE"


class _State:
    """The one child of this process, and who is using it (under ``lock``)."""

    lock = threading.Lock()
    pool: ProcessPoolExecutor | None = None
    idle: threading.Timer | None = None
    busy = 0
    in_child = False


class RenderChildLost(PrintFailed):
    """The child process that makes the paper ended before it answered."""


def _child_start() -> None:
    _State.in_child = True  # paper made inside the child is made right there, not in a grandchild


def _pool_locked() -> ProcessPoolExecutor:
    if _State.idle is not None:
        _State.idle.cancel()
        _State.idle = None
    if _State.pool is None:
        _State.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_start,
            max_tasks_per_child=TASKS_PER_CHILD,
        )
    return _State.pool


def _let_go(pool: ProcessPoolExecutor) -> None:
    with _State.lock:
        if _State.pool is not pool or _State.busy:
            return
        _State.pool = None
    pool.shutdown(wait=True)
    log.info("paper child let go after %.0f s idle", KEEP_WARM_S)


def run(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` in the paper child; ``fn`` must be a module-level function."""
    if _State.in_child or os.environ.get(INLINE_ENV) == "1":
        return fn(*args, **kwargs)
    with _State.lock:
        pool = _pool_locked()
        _State.busy += 1
    try:
        return pool.submit(fn, *args, **kwargs).result()
    except BrokenProcessPool as exc:
        with _State.lock:
            if _State.pool is pool:
                _State.pool = None
        pool.shutdown(wait=False)
        log.error("paper child ended while making %s: %s", fn.__qualname__, exc)
        raise RenderChildLost(
            f"the paper child process ended while making {fn.__qualname__}"
        ) from exc
    finally:
        with _State.lock:
            _State.busy -= 1
            if not _State.busy and _State.pool is not None:
                _State.idle = threading.Timer(KEEP_WARM_S, _let_go, (_State.pool,))
                _State.idle.daemon = True
                _State.idle.start()


def child_pids() -> list[int]:
    """The paper child's process id, when one runs (benchmarks and tests)."""
    with _State.lock:
        pool = _State.pool
    if pool is None:
        return []
    return [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid]


def shutdown() -> None:
    """Let the child go now (tests; the process's exit does it too)."""
    with _State.lock:
        pool, _State.pool = _State.pool, None
        if _State.idle is not None:
            _State.idle.cancel()
            _State.idle = None
    if pool is not None:
        pool.shutdown(wait=True)
