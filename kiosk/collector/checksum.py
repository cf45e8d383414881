"""The tus checksum extension, as ASGI middleware in front of tuspyserver (which lacks it).

https://tus.io/protocols/resumable-upload#checksum: a PATCH may carry
``Upload-Checksum: <algorithm> <base64 digest>`` of its body. The body is buffered (at most
``max_body`` bytes, else 413) and checked before tuspyserver sees any of it, so a damaged chunk
is never appended: a mismatch answers 460 (Checksum Mismatch), an algorithm other than sha1 or
sha256 answers 400. OPTIONS answers advertise ``checksum`` and the algorithms. PATCH requests
without the header pass through untouched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
MAX_CHECKED_BODY = 64 * 1024 * 1024  # bytes; the kiosk sends chunks far smaller than this
TUS_VERSION = "1.0.0"
CHECKSUM_MISMATCH = 460


class ChecksumMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/files", max_body: int = MAX_CHECKED_BODY):
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (
            scope["path"] == self.prefix or scope["path"].startswith(self.prefix + "/")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # tuspyserver honours X-HTTP-Method-Override, so the check must too.
        method = headers.get("x-http-method-override", scope["method"]).strip().upper()
        if method == "OPTIONS":
            await self.app(scope, receive, _advertising(send))
        elif method == "PATCH" and "upload-checksum" in headers:
            await self._checked_patch(scope, receive, send, headers["upload-checksum"])
        else:
            await self.app(scope, receive, send)

    async def _checked_patch(self, scope: Scope, receive: Receive, send: Send, value: str) -> None:
        algorithm, _, encoded = value.strip().partition(" ")
        if algorithm.lower() not in ALGORITHMS:
            await _answer(scope, receive, send, 400, f"unsupported checksum algorithm {algorithm}")
            return
        try:
            expected = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            await _answer(scope, receive, send, 400, "Upload-Checksum is not base64")
            return
        declared = Headers(scope=scope).get("content-length", "0")
        if declared.isdigit() and int(declared) > self.max_body:
            await _answer(scope, receive, send, 413, "chunk too large for a checksum")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # nothing was appended; the client resumes from the old offset
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _answer(scope, receive, send, 413, "chunk too large for a checksum")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not hmac.compare_digest(ALGORITHMS[algorithm.lower()](body).digest(), expected):
            await _answer(scope, receive, send, CHECKSUM_MISMATCH, "checksum mismatch")
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for a disconnect, as usual
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _advertising(send: Send) -> Send:
    async def send_with_checksum(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"tus-extension"
            ]
            extensions = Headers(raw=message.get("headers", [])).get("tus-extension")
            if extensions is not None:
                headers.append((b"tus-extension", f"{extensions},checksum".encode("latin-1")))
                headers.append((b"tus-checksum-algorithm", ",".join(ALGORITHMS).encode()))
            message = {**message, "headers": headers}
        await send(message)

    return send_with_checksum


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    response = PlainTextResponse(text, status_code=status, headers={"Tus-Resumable": TUS_VERSION})
    await response(scope, receive, send)
