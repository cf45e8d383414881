"""Serving the collector app with uvicorn, and saying so once it listens.

``uvicorn.run`` would do, but it cannot tell when the socket is bound (the app's lifespan
startup runs before the bind): this server logs one ``collector ready at <url>`` line after
it, with the real port when ``port`` is 0.
"""

from __future__ import annotations

import logging
import socket

import uvicorn

from kiosk.collector.app import TUS_PREFIX, create_app
from kiosk.collector.config import Collector

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            bound = self.servers[0].sockets[0].getsockname()
            host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
            url = f"http://{host}:{bound[1]}"
            log.info("collector ready at %s/ (tus: %s%s/)", url, url, TUS_PREFIX)


def serve(collector: Collector, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM. Startup repairs and processes what a crash left behind."""
    # tuspyserver logs every HEAD with the upload's whole metadata at INFO.
    logging.getLogger("tuspyserver").setLevel(logging.WARNING)
    config = uvicorn.Config(
        create_app(collector), host=host, port=port, log_config=None, proxy_headers=False
    )
    _Server(config).run()
