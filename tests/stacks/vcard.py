"""Our own scripted contactless card for the vsmartcard ``vpcd`` reader driver in pcscd.

vpcd listens on 127.0.0.1:35963 (reader "Virtual PCD 00 00"); a card "is inserted" while a client
is connected. Frames are a 2-byte big-endian length and a payload: a 1-byte payload is a control
code (0 power off, 1 power on, 2 reset, 4 = send the ATR), anything longer is a command APDU that
needs a response APDU. pcscd, the IFD driver, libpcsclite and pyscard all stay real.
"""

from __future__ import annotations

import socket
import struct
import threading

ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA000000")
AID = bytes.fromhex("A000000247100100")


class VirtualCard:
    def __init__(self, port: int, uid_hex: str, vanish_on_uid: bool = False) -> None:
        self.port = port
        self.uid = bytes.fromhex(uid_hex)
        self.vanish_on_uid = vanish_on_uid  # drop out when asked for the UID: "removed mid-read"
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self) -> None:
        self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _answer(self, apdu: bytes) -> bytes | None:
        if apdu == GET_UID:
            return None if self.vanish_on_uid else self.uid + b"\x90\x00"
        if apdu[1:3] == b"\xa4\x04":  # SELECT by AID
            lc = apdu[4]
            return b"\x90\x00" if apdu[5 : 5 + lc] == AID[:lc] else b"\x6a\x82"
        return b"\x6d\x00"  # instruction not supported

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", _recv(sock, 2))
                payload = _recv(sock, length)
                if length == 1:
                    if payload[0] == 4:
                        sock.sendall(struct.pack("!H", len(ATR)) + ATR)
                    continue
                self.apdus.append(payload)
                answer = self._answer(payload)
                if answer is None:
                    sock.close()
                    self._sock = None
                    return
                sock.sendall(struct.pack("!H", len(answer)) + answer)
        except (OSError, EOFError):
            return


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
