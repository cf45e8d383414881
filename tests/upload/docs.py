"""Signed documents in a kiosk data directory, made by the kiosk's own DocumentStore."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from kiosk.audit import AuditLog
from kiosk.chasil.documents import Document, DocumentStore
from kiosk.clock import ManualClock
from kiosk.db import Database
from kiosk.devicekey import ensure_key
from kiosk.roles import Role
from kiosk.services.provisioning import installed_profile, provision
from kiosk.tps import SAMPLE_PROFILE

BALLOTS = ("PPWP", "DPR", "DPD")  # the sample profile's


@dataclass(frozen=True)
class _Officer:
    id: str = "kpps1"
    role: Role = Role.KETUA


@dataclass(frozen=True)
class _Login:
    officer: _Officer = _Officer()


def profile_text(endpoint: str = "http://127.0.0.1:8081/files/") -> str:
    """The sample TPS profile, its collector URL replaced."""
    text = SAMPLE_PROFILE.read_text(encoding="utf-8")
    return re.sub(r'(?m)^endpoint = ".*"$', f'endpoint = "{endpoint}"', text)


def noise_page(seed: int, size: int) -> Image.Image:
    """A grey page of random pixels: PNG cannot compress it, so the PDF is about size²."""
    rng = random.Random(seed)
    return Image.frombytes("L", (size, size), rng.randbytes(size * size))


def signed_documents(
    data_dir: Path,
    count: int,
    endpoint: str = "http://127.0.0.1:8081/files/",
    page_px: int = 300,
    training: bool = False,
    first: int | None = None,
) -> list[Document]:
    """``count`` signed documents (one page each, ballots in turn), their jobs queued. Calls
    on the same data directory go on numbering (``first``) so every document differs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / "kiosk.sqlite3")
    db.migrate()
    if first is None:
        first = len(db.read("SELECT id FROM document"))
    start = dt.datetime(2024, 2, 14, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    clock = ManualClock(start + dt.timedelta(seconds=first))
    audit = AuditLog(db, clock)
    if installed_profile(data_dir) is None:
        provision(db, audit, data_dir, profile_text(endpoint), by="test")
    profile = installed_profile(data_dir)
    assert profile is not None
    store = DocumentStore(db, audit, clock, data_dir, profile, training)
    key = ensure_key(data_dir)
    made = []
    for i in range(first, first + count):
        ballot = BALLOTS[i % len(BALLOTS)]
        store._keep(ballot, noise_page(i, page_px), _Login(), None, "")
        made.append(store.finish(ballot, {"test": i}, key, _Login()))
        for page in store.pages(ballot):
            store.discard(page["id"])
        clock.advance(1)
    db.close()
    return made
