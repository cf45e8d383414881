"""How the kiosk's long-running processes (web app, upload worker; the paper child too) ask
glibc's malloc to give memory back.

A scan or a copy allocates buffers of megabytes (an A4 page at 300 dpi is 8.7 MB grey, 26 MB
colour) and frees them a moment later. With glibc's defaults, the first such free raises the
mmap threshold (up to 32 MiB), so the next buffers come from the heap, and each of waitress's
8 threads gets an arena of its own: freed pages stay with the process. bench/memory_bench.py
measured the web app at about 220-260 MB RSS after a sample day with the defaults and about
117 MB with the settings below (121 MB with a 1 MiB threshold, 127 MB with 4 MiB). The price:
each big buffer is a fresh mmap, whose pages the kernel zeroes; two threads making A4 pages
(noise, blur, rotate, JPEG) took about 3 % more CPU time (4.87 s against 4.72 s).
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

# mallopt(3) parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

ARENAS = 2  # one for the main thread, one shared by the request and background threads
BIG_KIB = 128  # glibc's initial mmap threshold, now fixed: big buffers go back with munmap


def give_memory_back() -> bool:
    """Set the malloc options, before the process starts its threads. False where the C
    library has no mallopt (musl, macOS: a demo laptop), which changes nothing else."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    done = all(
        mallopt(param, value) == 1
        for param, value in (
            (M_ARENA_MAX, ARENAS),
            (M_MMAP_THRESHOLD, BIG_KIB * 1024),
            (M_TRIM_THRESHOLD, BIG_KIB * 1024),
        )
    )
    if not done:
        log.warning("malloc options not taken; memory after scans stays with the process")
    return done
