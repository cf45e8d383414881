"""Our own scripted contactless card for the vsmartcard ``vpcd`` reader driver in pcscd.

vpcd listens on TCP 35963 (reader "Virtual PCD 00 00"); a card "is inserted" while a client is
connected to it. Frames are a 2-byte big-endian length and a payload: a 1-byte payload is a
control code (0 power off, 1 power on, 2 reset, 4 = send the ATR), anything longer is a command
APDU that needs a response APDU. pcscd, the IFD driver, libpcsclite and pyscard all stay real.

Debian's ``vicc`` is not used: it dies on ``FF CA 00 00 00`` (GET UID), the one command we need.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA000000")
AID = bytes.fromhex("A000000247100100")
SW_OK = b"\x90\x00"
_SEND_ATR = 4


class VirtualCard:
    """One card on the vpcd reader at ``127.0.0.1:port``, answering from a background thread.

    ``vanish_on_uid``: drop the connection instead of answering GET UID, as a card pulled out
    while it is read. ``uid_status``: the status word GET UID answers with; anything but 90 00
    comes without the UID, as from a card that will not tell it. ``apdus`` records every command
    APDU the card received.
    """

    def __init__(self, port: int, uid_hex: str, vanish_on_uid: bool = False) -> None:
        self.port = port
        self.uid = bytes.fromhex(uid_hex)
        self.vanish_on_uid = vanish_on_uid
        self.uid_status = SW_OK
        self.apdus: list[bytes] = []
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        with self._lock:
            return self._sock is not None

    def insert(self) -> None:
        """Connect to vpcd: pcscd sees the card within about 0.5–2 s."""
        with self._lock:
            if self._sock is not None:
                raise AssertionError("card is already inserted")
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.settimeout(None)  # the serving thread blocks until vpcd speaks or we close
            self._sock = sock
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"vcard-{self.port}", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        """Close the connection: vpcd reports the card gone. Harmless if it is not inserted."""
        with self._lock:
            sock, thread = self._sock, self._thread
        if sock is not None:
            self._drop(sock)
        if thread is not None:
            thread.join(timeout=5)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            if self._sock is not sock:
                return  # already dropped by the other side (remove vs. vanish)
            self._sock = None
        # shutdown wakes the serving thread out of recv(), close alone would not; it fails
        # harmlessly when vpcd closed its side first.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _answer(self, apdu: bytes) -> bytes | None:
        """The response APDU, or None to vanish."""
        if apdu == GET_UID:
            if self.vanish_on_uid:
                return None
            if self.uid_status != SW_OK:
                return self.uid_status  # an error status word comes without data
            return self.uid + SW_OK
        if len(apdu) >= 5 and apdu[1:3] == b"\xa4\x04":  # SELECT by AID
            lc = apdu[4]
            return SW_OK if apdu[5 : 5 + lc] == AID[:lc] else b"\x6a\x82"  # file not found
        return b"\x6d\x00"  # instruction not supported

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", _recv(sock, 2))
                payload = _recv(sock, length)
                if length == 1:  # power off/on/reset need no reply, only "send ATR" does
                    if payload[0] == _SEND_ATR:
                        sock.sendall(struct.pack("!H", len(ATR)) + ATR)
                    continue
                self.apdus.append(payload)
                answer = self._answer(payload)
                if answer is None:
                    self._drop(sock)
                    return
                sock.sendall(struct.pack("!H", len(answer)) + answer)
        except (OSError, EOFError):
            return  # removed, or vpcd went away


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
