"""The collector's web app: tus uploads at ``/files/``, receipts, health, and a listing page.

``create_app(collector)`` builds everything from a ``Collector`` (data folder + policy). Served
by uvicorn from ``cli.py``. Routes:

- ``/files/``: tuspyserver's tus router (creation, termination, expiration), behind
  ``ChecksumMiddleware``; its completion hook runs ``recovery.process_upload`` in a worker
  thread and turns a refusal into ``422 {"detail": {"reason", "detail"}}`` on the final PATCH;
  an accepted upload's final PATCH carries the receipt in a ``Tps-Receipt`` header (JSON).
- ``GET /receipts/{key}``: 200 receipt, 422 ``{"error": "rejected", ...}``, 404 ``{"error":
  "unknown"}`` (after processing any complete upload left unprocessed).
- ``GET /health``, ``GET /`` (HTML for PPS/PPK staff), ``GET /documents/{key}/document.pdf``.

Beyond ``Load.max_uploads`` upload requests in flight, ``LoadShedding`` answers ``503`` with
``Retry-After`` (``shedding.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from tuspyserver import create_tus_router

from kiosk.collector import page, record_store, records, recovery, store
from kiosk.collector.checksum import ChecksumMiddleware
from kiosk.collector.config import Collector
from kiosk.collector.shedding import LoadShedding
from kiosk.collector.verify import KEY
from kiosk.upload.bundle import MAX_BUNDLE_BYTES, BundleInvalid

log = logging.getLogger(__name__)

TUS_PREFIX = "/files"
DAYS_TO_KEEP = 30  # how long tuspyserver keeps an unfinished upload resumable


def create_app(collector: Collector) -> FastAPI:
    collector.tus_dir.mkdir(parents=True, exist_ok=True)
    store.connect(collector.db_path).close()  # creates the schema before any request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Before serving: no client may resume into a torn upload, and nothing left complete
        # by a crash waits longer than this.
        repaired = recovery.repair(collector)
        recovered = recovery.recover(collector)
        if repaired or recovered:
            log.info("startup: %d uploads repaired, %d processed", repaired, recovered)
        yield

    app = FastAPI(title="TPS Kiosk collector", lifespan=lifespan, docs_url=None, redoc_url=None)

    _mount_tus(app, collector)
    _add_pages(app, collector)
    records.add_routes(app, collector)  # result records: small, never shed (not under /files)
    # Outermost: a shed upload request costs the collector no checksum or tus work.
    app.add_middleware(LoadShedding, prefix=TUS_PREFIX, load=collector.load)
    return app


def _add_pages(app: FastAPI, collector: Collector) -> None:
    @app.get("/receipts/{key}")
    def receipt(key: str) -> JSONResponse:
        if not KEY.match(key):
            return JSONResponse({"error": "unknown"}, status_code=404)
        found = _document(collector, key)
        if found is None and recovery.recover(collector):
            found = _document(collector, key)
        if found is not None:
            return JSONResponse(found.receipt.as_json())
        conn = store.connect(collector.db_path)
        try:
            rejection = store.latest_rejection(conn, key)
        finally:
            conn.close()
        if rejection is not None:
            body = {"error": "rejected", "reason": rejection.reason, "detail": rejection.detail}
            return JSONResponse(body, status_code=422)
        return JSONResponse({"error": "unknown"}, status_code=404)

    @app.get("/health")
    def health() -> dict[str, Any]:
        conn = store.connect(collector.db_path)
        try:
            count = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            current = record_store.records(conn)
        finally:
            conn.close()
        return {
            "status": "ok",
            "documents": count,
            # Each ballot's current result record; those whose scan has not come yet.
            "records": len(current),
            "records_without_scan": sum(not r.document_key for r in current),
            "accept_training": collector.policy.accept_training,
            "trust_first_use": collector.policy.trust_first_use,
        }

    @app.get("/", response_class=HTMLResponse)
    def listing() -> HTMLResponse:
        conn = store.connect(collector.db_path)
        try:
            docs = store.documents(conn)
            rejected = store.recent_rejections(conn)
            current = record_store.records(conn)
        finally:
            conn.close()
        return HTMLResponse(page.render(docs, rejected, collector.policy, current))

    @app.get("/documents/{key}/document.pdf")
    def download(key: str) -> FileResponse:
        found = _document(collector, key) if KEY.match(key) else None
        if found is None:
            raise HTTPException(404, detail="unknown document")
        folder = store.document_folder(
            collector.documents_dir, found.tps_code, found.ballot, found.key
        )
        name = f"{found.tps_code}-{found.ballot}-{found.key[:12]}.pdf"
        return FileResponse(folder / "document.pdf", media_type="application/pdf", filename=name)


RECEIPT_HEADER = "Tps-Receipt"  # the receipt, as JSON, on the PATCH that completes an upload


def _mount_tus(app: FastAPI, collector: Collector) -> None:
    def upload_complete_dep(response: Response) -> Callable[[str, dict[str, Any]], Any]:
        """FastAPI gives this dependency the route's own response, so the final PATCH can
        carry the receipt and spare the kiosk a ``GET /receipts/<key>``."""

        async def on_upload_complete(file_path: str, metadata: dict[str, Any]) -> None:
            try:
                outcome = await run_in_threadpool(
                    recovery.process_upload, collector, Path(file_path).name
                )
            except BundleInvalid as exc:
                detail = {"reason": exc.reason, "detail": exc.detail}
                raise HTTPException(422, detail=detail) from exc
            response.headers[RECEIPT_HEADER] = json.dumps(outcome.receipt.as_json())

        return on_upload_complete

    def pre_create(metadata: dict[str, Any], upload_info: dict[str, Any]) -> None:
        if not KEY.match(str(metadata.get("key", ""))):
            raise HTTPException(400, detail="Upload-Metadata needs the bundle key")

    app.include_router(
        create_tus_router(
            prefix=TUS_PREFIX,
            files_dir=str(collector.tus_dir),
            max_size=MAX_BUNDLE_BYTES,
            days_to_keep=DAYS_TO_KEEP,
            upload_complete_dep=upload_complete_dep,
            pre_create_hook=pre_create,
        )
    )
    app.add_middleware(ChecksumMiddleware, prefix=TUS_PREFIX)


def _document(collector: Collector, key: str) -> store.StoredDocument | None:
    conn = store.connect(collector.db_path)
    try:
        return store.document_by_key(conn, key)
    finally:
        conn.close()
