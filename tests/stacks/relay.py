"""A relay on 127.0.0.1 in front of an HTTP server, for the upload tests.

It sees every request the kiosk sends (method, path, body bytes that went through), so a test
can say how many copies of a document a server was sent whatever the server keeps; and it can
slow the kiosk → server direction to a given rate, as a weak mobile link does, so that a test
can catch the worker in the middle of an upload. Requests are read as HTTP/1.1 with a
``Content-Length`` (what requests and tuspy send); answers are passed back untouched.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.stacks.collector import free_port

PIECE = 4096  # bytes forwarded at a time when throttled


@dataclass
class Seen:
    method: str
    path: str
    body: int = 0  # bytes of its body forwarded to the server so far


class Relay:
    def __init__(self, target_port: int, rate_bps: int | None = None) -> None:
        self.target_port = target_port
        self.rate_bps = rate_bps
        self.port = free_port()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, path: str = "/files/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method)

    def body_bytes(self, method: str) -> int:
        with self._lock:
            return sum(r.body for r in self.requests if r.method == method)

    def summary(self) -> str:
        with self._lock:
            methods = sorted({r.method for r in self.requests})
        return ", ".join(f"{m} {self.count(m)}" for m in methods)

    # The relay's own thread ------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:  # the connections still open: close them while the loop runs
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        back = asyncio.ensure_future(self._pipe(up_reader, writer))
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                seen = self._seen(head)
                up_writer.write(head)
                await up_writer.drain()
                await self._body(reader, up_writer, seen, self._length(head))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            back.cancel()
            for w in (writer, up_writer):
                w.close()

    def _seen(self, head: bytes) -> Seen:
        method, path, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        seen = Seen(method, path)
        with self._lock:
            self.requests.append(seen)
        return seen

    @staticmethod
    def _length(head: bytes) -> int:
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return int(value.strip())
        return 0

    async def _body(
        self,
        reader: asyncio.StreamReader,
        up: asyncio.StreamWriter,
        seen: Seen,
        length: int,
    ) -> None:
        left = length
        while left:
            piece = await reader.read(min(left, PIECE))
            if not piece:
                raise asyncio.IncompleteReadError(b"", left)
            up.write(piece)
            await up.drain()
            left -= len(piece)
            with self._lock:
                seen.body += len(piece)
            if self.rate_bps:
                await asyncio.sleep(len(piece) / self.rate_bps)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while piece := await reader.read(65536):
                writer.write(piece)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def start(self) -> Relay:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def relay(target_port: int, rate_bps: int | None = None) -> Iterator[Relay]:
    running = Relay(target_port, rate_bps).start()
    try:
        yield running
    finally:
        running.stop()
