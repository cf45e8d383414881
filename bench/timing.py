"""Timing shared by the benchmarks: wall-clock seconds of repeated runs after a warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed_runs(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` runs of ``fn``, after one warm-up run."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return runs
