"""Telling systemd how a service is (``Type=notify``, ``WatchdogSec=``).

The protocol is one datagram on the socket systemd names in ``NOTIFY_SOCKET``; outside systemd
(tests, the demo) there is no socket and nothing is sent.
"""

from __future__ import annotations

import os
import socket


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
