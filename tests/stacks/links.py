"""Emulated mobile links between the kiosk's worker and the collector: EDGE, 3G, flapping.

``LinkProxy(target_port, link)`` listens on 127.0.0.1 and relays every TCP connection to the
target through one emulated link, shared by all connections, in each direction:

- **rate**: each ~1.5 KB segment occupies the link for ``size * 8 / rate_bps`` seconds, one after
  another (one pipe per direction, as one modem). The kernel here has no ``netem`` and ``tbf``
  would have to sit on ``lo`` in a namespace, where it shapes both hops of a proxied
  connection (worker -> proxy and proxy -> collector) in one queue; pacing in the proxy is
  measured instead (``observed_bps``: the bytes delivered upstream over the time they took).
- **delay**: a segment arrives ``rtt_s / 2`` after it has left; a new connection's first byte
  leaves one RTT after the connection was opened (the TCP handshake).
- **loss**: userspace cannot drop a segment of a TCP stream (the kernels on both sides would
  just deliver it). Its effect is emulated: with probability ``loss`` per segment the
  segment arrives one retransmission timeout late (``rto_s``: RTT + 200 ms, Linux's minimum
  RTO over the smoothed RTT) and holds back everything after it (in-order delivery), and its
  retransmission takes the link once more. Not emulated: TCP's congestion window halving
  after a loss, and slow start; so these links are a little kinder than real ones.
- **cuts** (a flapping link): down for ``down_s`` every ``every_s`` seconds, starting up. Going
  down aborts every connection (both ends see a reset: a modem that lost its carrier, whose
  next connection gets a new address); a connection attempt while down is reset at once.
  ``cut()`` aborts every connection at any moment.

``up_bytes`` counts the bytes that crossed the link towards the target (what the kiosk paid
for), ``down_bytes`` the other way. A new proxy seeds its own ``random.Random`` (``seed``), so a
benchmark's losses repeat run to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
import threading
import time
from dataclasses import dataclass

SEGMENT = 1448  # bytes of payload in one TCP segment (MSS on a 1500-byte MTU with timestamps)


@dataclass(frozen=True)
class Link:
    name: str
    rate_bps: int  # each direction
    rtt_s: float
    loss: float = 0.0  # per segment
    down_s: float = 0.0  # a flapping link: down this long ...
    every_s: float = 0.0  # ... every this long (0: never down)

    @property
    def rto_s(self) -> float:
        return self.rtt_s + 0.2

    def ideal_s(self, payload: int, round_trips: int = 1) -> float:
        """The bare minimum to move ``payload`` bytes one way and hear back: serialisation at
        the rate plus ``round_trips`` RTTs (request/answer turns), no loss, no overhead; on a
        flapping link (up first) also the down times it cannot avoid, nothing lost to a cut."""
        busy = payload * 8 / self.rate_bps + round_trips * self.rtt_s
        if not self.every_s:
            return busy
        up = self.every_s - self.down_s
        return busy + max(0, math.ceil(busy / up) - 1) * self.down_s

    def describe(self) -> str:
        text = f"{self.rate_bps / 1000:g} kbit/s, {self.rtt_s * 1000:g} ms RTT"
        if self.loss:
            text += f", {self.loss * 100:g} % loss"
        if self.every_s:
            text += f", down {self.down_s:g} s every {self.every_s:g} s"
        return text


# The links. The flapping one has 3G's rate and delay (the issue gives only its cuts).
EDGE = Link("EDGE", 200_000, 0.300, 0.01)
G3 = Link("3G", 1_000_000, 0.150, 0.005)
FLAPPING = Link("flapping", 1_000_000, 0.150, 0.005, down_s=30.0, every_s=60.0)
LINKS = (EDGE, G3, FLAPPING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Pipe:
    """One direction of the link: a single queue that every connection's segments share."""

    def __init__(self, link: Link, rng: random.Random) -> None:
        self.link = link
        self.rng = rng
        self.free_at = 0.0  # monotonic time the link finishes sending what it already has
        self.bytes = 0
        self.stalls = 0

    async def occupy(self, size: int) -> tuple[float, bool]:
        """Wait until a ``size``-byte segment has left; (when it left, whether it was lost)."""
        lost = self.link.loss > 0 and self.rng.random() < self.link.loss
        airtime = size * 8 / self.link.rate_bps * (2 if lost else 1)  # a loss: sent twice
        now = time.monotonic()
        # A link with a backlog stays busy: the event loop waking a little late for the
        # next segment must not count as idle time (it would lower the rate by ~5 %).
        busy = now - self.free_at < 0.05
        self.free_at = (self.free_at if busy else now) + airtime
        await asyncio.sleep(self.free_at - now)
        self.stalls += lost
        return self.free_at, lost


class LinkProxy:
    """127.0.0.1:port -> 127.0.0.1:target_port through ``link`` (see the module docstring)."""

    def __init__(self, target_port: int, link: Link, seed: int = 17) -> None:
        self.target_port = target_port
        self.link = link
        self.port = free_port()
        rng = random.Random(seed)
        self._up = _Pipe(link, rng)
        self._down = _Pipe(link, rng)
        self.cuts = 0
        self.refused = 0
        self.is_up = True
        self._first_up_at: float | None = None
        self._last_up_at = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._serve())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def up_bytes(self) -> int:
        return self._up.bytes

    @property
    def down_bytes(self) -> int:
        return self._down.bytes

    @property
    def stalls(self) -> int:
        """Segments 'lost' (delivered one RTO late), both directions."""
        return self._up.stalls + self._down.stalls

    def observed_bps(self) -> float:
        """Bits per second delivered upstream, from the first to the last byte (idle gaps and
        stalls included: a lower bound on the shaping's rate)."""
        if self._first_up_at is None or self._last_up_at <= self._first_up_at:
            return 0.0
        return self.up_bytes * 8 / (self._last_up_at - self._first_up_at)

    def cut(self) -> None:
        self.cuts += 1
        self._loop.call_soon_threadsafe(self._abort_all)

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        if self.link.every_s > 0:
            self._flapper = asyncio.ensure_future(self._flap())

    async def _shutdown(self) -> None:
        if self.link.every_s > 0:
            self._flapper.cancel()
        self._server.close()
        self._abort_all()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _flap(self) -> None:
        while True:
            await asyncio.sleep(self.link.every_s - self.link.down_s)
            self.is_up = False
            self.cuts += 1
            self._abort_all()
            await asyncio.sleep(self.link.down_s)
            self.is_up = True

    def _abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _client(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        if not self.is_up:
            self.refused += 1
            cw.transport.abort()
            return
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            cw.transport.abort()
            return
        self._writers |= {cw, sw}
        await asyncio.sleep(self.link.rtt_s)  # SYN, SYN-ACK: no byte leaves before
        await asyncio.gather(self._relay(cr, sw, self._up), self._relay(sr, cw, self._down))
        self._writers -= {cw, sw}

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pipe: _Pipe
    ) -> None:
        loop = asyncio.get_running_loop()
        arrive_last = 0.0
        try:
            while data := await reader.read(16 * SEGMENT):
                for start in range(0, len(data), SEGMENT):
                    segment = data[start : start + SEGMENT]
                    left, lost = await pipe.occupy(len(segment))
                    if writer.transport.is_closing():
                        return  # cut while it was on the link: it never arrives
                    arrive = left + self.link.rtt_s / 2 + (self.link.rto_s if lost else 0.0)
                    arrive_last = max(arrive, arrive_last + 1e-6)  # in order, as TCP delivers
                    loop.call_at(arrive_last, self._deliver, writer, segment, pipe)
            await asyncio.sleep(max(0.0, arrive_last - loop.time()) + 1e-3)
            if not writer.transport.is_closing() and writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass
        finally:
            if reader.at_eof() is False:
                with contextlib.suppress(Exception):
                    writer.transport.abort()

    def _deliver(self, writer: asyncio.StreamWriter, segment: bytes, pipe: _Pipe) -> None:
        if writer.transport.is_closing():
            return
        writer.write(segment)
        pipe.bytes += len(segment)
        if pipe is self._up:
            now = time.monotonic()
            if self._first_up_at is None:
                self._first_up_at = now
            self._last_up_at = now
