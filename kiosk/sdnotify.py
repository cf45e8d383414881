"""Telling systemd how a service is (``Type=notify``, ``WatchdogSec=``).

The protocol is one datagram on the socket systemd names in ``NOTIFY_SOCKET``; outside systemd
(tests, the demo) there is no socket and nothing is sent.

:class:`Watchdog` is the web app's side of ``WatchdogSec=``: ``READY=1`` once it serves, then
``WATCHDOG=1`` every half watchdog interval, but only while a real health check passes, so a
wedged app stops feeding systemd and is restarted (``Restart=always``).
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send ``READY=1``, ``WATCHDOG=1``, ``STATUS=...`` (or several, newline-separated)."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())
    return True


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """How often to send ``WATCHDOG=1``, in seconds: half of ``WATCHDOG_USEC`` (systemd's
    ``WatchdogSec=``), as sd_watchdog_enabled(3) advises. None when systemd expects no pings
    from this process (no ``WATCHDOG_USEC``, or ``WATCHDOG_PID`` names another process)."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 2 / 1_000_000


class HttpHealth:
    """The check behind the web app's watchdog: ``GET path`` through the app's own listening
    socket must answer 200 within ``timeout_s``. It goes through everything the touch screen
    depends on: waitress accepting, a free worker thread, Flask, and the database (the
    kiosk's ``/health`` does ``SELECT 1``). Connects directly, never through a proxy."""

    def __init__(self, host: str, port: int, path: str = "/health", timeout_s: float = 5.0):
        self.host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        self.port = port
        self.path = path
        self.timeout_s = timeout_s

    def __call__(self) -> bool:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            conn.request("GET", self.path)
            return conn.getresponse().status == 200
        finally:
            conn.close()


class Watchdog:
    """``READY=1`` once (:meth:`ready`), then ``WATCHDOG=1`` every ``interval_s`` seconds
    from a daemon thread for as long as ``check()`` returns True.

    A failed check (False, or an exception) skips that beat and is logged once; the beats
    resume when the check passes again. If it keeps failing, systemd's ``WatchdogSec=``
    (twice ``interval_s``) runs out and systemd restarts the service. With ``interval_s``
    None (no watchdog asked for) only ``READY=1`` is sent.
    """

    def __init__(
        self,
        check: Callable[[], bool],
        interval_s: float | None,
        send: Callable[[str], bool] = notify,
    ) -> None:
        self.check = check
        self.interval_s = interval_s
        self.send = send
        self.beats = 0
        self._healthy = True
        self._ready = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ready(self, status: str = "") -> None:
        """Tell systemd the service is up (once), and start the heartbeat if asked for."""
        if self._ready:
            return
        self._ready = True
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))
        if self.interval_s is not None:
            self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
            self._thread.start()

    def beat(self) -> bool:
        """Run the check once; send ``WATCHDOG=1`` if it passed. True if it passed."""
        try:
            healthy = bool(self.check())
            reason = "the health check said no"
        except Exception as exc:  # any failure of the check is "not healthy"
            healthy, reason = False, repr(exc)
        if healthy != self._healthy:
            if healthy:
                log.info("health check passes again; feeding the systemd watchdog")
            else:
                log.error("health check failed (%s); not feeding the systemd watchdog", reason)
            self._healthy = healthy
        if healthy and self._send("WATCHDOG=1"):
            self.beats += 1
        return healthy

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        assert self.interval_s is not None
        while not self._stop.wait(self.interval_s):
            self.beat()

    def _send(self, message: str) -> bool:
        try:
            return self.send(message)
        except OSError as exc:  # systemd gone or restarting: nothing to do but say so
            log.warning("cannot notify systemd (%s): %s", message.split("\n", maxsplit=1)[0], exc)
            return False
