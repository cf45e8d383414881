"""The reference collector: receives signed document bundles from kiosks, by tus or by USB.

Wiring (one machine): a FastAPI app served by uvicorn (``app.create_app``) mounts tuspyserver's
tus router at ``/files`` (local storage under ``<data>/tus/``), with a small ASGI middleware
for the tus checksum extension (``checksum.py``). When an upload is complete, tuspyserver's
completion hook hands it to ``intake.receive``: the bundle is opened and checked
(``verify.py``), its device key looked up (``registry.py``), and the document stored once per
key (``store.py``: ``<data>/documents/...`` written durably, then a row in
``<data>/collector.sqlite3``). USB exports go through the very same ``intake.receive``
(``usb_import.py``). ``recovery.py`` finds complete uploads whose processing a crash cut short.

Scaling beyond one machine: run several identical, stateless collector processes behind a
load balancer; swap the local tus storage for tuspyserver's S3 backend
(``tuspyserver.storage.s3``, any S3-compatible object store) so every instance sees every
upload, which also makes sticky sessions unnecessary; and replace the SQLite file by a shared
database (PostgreSQL) in which the UNIQUE document key stays the idempotency guard: two
instances receiving the same document race on the insert, and the loser returns the winner's
receipt. Documents then go to the object store too. See README.md beside this file.

This package imports FastAPI, uvicorn and tuspyserver only where it serves (``app.py``), so the
command line can register devices and import USB exports without them.
"""
