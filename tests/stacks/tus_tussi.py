"""tussi (PyPI) as its README mounts it: ``python -m tests.stacks.tus_tussi DIR PORT``.

A finished upload is moved from ``DIR/uploads`` to ``DIR/completed`` at once, so its URL then
answers 404; tussi has no receipt route.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response
from tussi import FilesystemStorage, TUSApp

if __name__ == "__main__":
    directory, port = Path(sys.argv[1]), int(sys.argv[2])
    (directory / "uploads").mkdir(exist_ok=True)
    tus = TUSApp(
        storage=FilesystemStorage(directory=directory / "uploads"),
        completed_dir=directory / "completed",
    )
    app = FastAPI()

    @app.api_route("/files/{path:path}", methods=["HEAD", "PATCH", "POST", "OPTIONS"])
    async def tus_handler(request: Request) -> Response:
        return await tus.get_response(request.scope, request.receive)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
