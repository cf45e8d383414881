"""The child's side of kiosk.render_worker (the paper child, and the sheet reader's child): a
loop that reads a job (a pickled function and its arguments) from its socket, runs it, and
writes back the result or the exception.

It imports only the standard library and kiosk.heap (glibc's malloc options, as the web app
sets them: 4 MB less after a sample day); the job's function brings what it needs when its frame
is unpickled (kiosk.paper's modules and the paper libraries). Frames are an 8-byte length and
a pickle, both ways; the end of the socket (the web app closed it, or died) ends the child.
"""

from __future__ import annotations

import pickle
import signal
import socket
import struct
import sys
import traceback

from kiosk.heap import give_memory_back

_LENGTH = struct.Struct("!Q")


def write_frame(sock: socket.socket, data: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError(f"the other end closed the socket after {got} of {size} bytes")
        got += n
    return bytes(buf)


def read_frame(sock: socket.socket) -> bytes:
    """The next frame; EOFError when the other end has gone (also between frames)."""
    (size,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    return _read_exactly(sock, size)


def _reply(frame: bytes) -> bytes:
    try:
        fn, args, kwargs = pickle.loads(frame)
        reply: tuple[bool, object, str] = (True, fn(*args, **kwargs), "")
    except Exception as exc:  # the caller gets it back, as it would from a call in its process
        reply = (False, exc, traceback.format_exc())
    try:
        return pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        lost = RuntimeError(f"the child could not send its answer back: {exc!r}")
        return pickle.dumps((False, lost, traceback.format_exc()))


def serve(fd: int, block_numpy: bool = True) -> None:
    """Answer jobs on the socket ``fd`` until the web app closes it. ``block_numpy``: the
    paper child's way (below); the reader's child needs numpy."""
    # Ctrl-C in a terminal reaches the whole process group: the web app decides, and closing
    # the socket ends the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    give_memory_back()  # a copy's buffers go back when freed, as in the web app
    # fpdf2 imports numpy when it is installed (the digit reader needs it), only to decode LZW
    # images faster, which paper never has: the child goes without it (~10 MB RSS).
    if block_numpy:
        sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]
    with socket.socket(fileno=fd) as sock:
        while True:
            try:
                frame = read_frame(sock)
            except (EOFError, OSError):
                return
            try:
                write_frame(sock, _reply(frame))
            except OSError:  # the web app went while the job ran
                return
