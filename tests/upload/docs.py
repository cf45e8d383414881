"""Signed documents in a kiosk data directory, made by the kiosk's own DocumentService."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from kiosk.audit import AuditLog
from kiosk.chasil.documents import Document, DocumentService
from kiosk.chasil.service import Confirmation
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


class Confirmed:
    """Numbers as the Ketua confirmed them, for every ballot (``numbers`` may change between
    documents), standing in for the ChasilService."""

    def __init__(self, numbers: dict[str, int] | None = None) -> None:
        self.numbers = numbers or {"suara_sah": 1}

    def confirmed(self, ballot_type: str) -> Confirmation:
        return Confirmation(
            numbers=dict(self.numbers),
            officer_id="kpps1",
            officer_name="Siti Aminah",
            role="ketua",
            at="2024-02-14T13:05:00+08:00",
            zone="WITA",
            note="",
            warnings=[],
            wall="2024-02-14T13:05:00+08:00",
        )


def document_service(
    db: Database, audit: AuditLog, clock: ManualClock, data_dir: Path, training: bool = False
) -> tuple[DocumentService, Confirmed]:
    """The kiosk's DocumentService on a provisioned ``data_dir`` (no scanner: pages are kept
    with ``service.scans.keep``), and the confirmed numbers it signs."""
    profile = installed_profile(data_dir)
    assert profile is not None
    numbers = Confirmed()
    service = DocumentService(
        db,
        audit,
        clock,
        data_dir,
        profile,
        training,
        numbers=numbers,
        scanner=None,
        signing_key=lambda: ensure_key(data_dir),
        dpi=300,
    )
    return service, numbers


START = dt.datetime(2024, 2, 14, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # WITA


@dataclass
class Provisioned:
    """A kiosk data folder provisioned with the sample profile, and its DocumentService."""

    db: Database
    audit: AuditLog
    clock: ManualClock
    service: DocumentService
    numbers: Confirmed


def provisioned(
    data_dir: Path,
    endpoint: str = "http://127.0.0.1:8081/files/",
    training: bool = False,
    by: str = "test",
) -> Provisioned:
    """``data_dir``'s database (made and migrated), provisioned with the sample profile and
    the collector ``endpoint`` unless it is already, on a manual clock at ``START``; the
    caller closes ``db``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / "kiosk.sqlite3")
    db.migrate()
    clock = ManualClock(START)
    audit = AuditLog(db, clock)
    if installed_profile(data_dir) is None:
        provision(db, audit, data_dir, profile_text(endpoint), by=by)
    service, numbers = document_service(db, audit, clock, data_dir, training)
    return Provisioned(db, audit, clock, service, numbers)


def profile_text(endpoint: str = "http://127.0.0.1:8081/files/") -> str:
    """The sample TPS profile, its collector URL replaced."""
    text = SAMPLE_PROFILE.read_text(encoding="utf-8")
    return re.sub(r'(?m)^endpoint = ".*"$', f'endpoint = "{endpoint}"', text)


def noise_page(seed: int, size: int) -> Image.Image:
    """A grey page of random pixels whose document is about size² bytes: the page is 2.2 ×
    size pixels square, and kept at 300 dpi its 200 dpi JPEG rendition (what the PDF holds)
    takes about 0.2 bytes per scanned pixel."""
    rng = random.Random(seed)
    side = round(size * 2.2)
    return Image.frombytes("L", (side, side), rng.randbytes(side * side))


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
    kiosk = provisioned(data_dir, endpoint, training)
    if first is None:
        first = len(kiosk.db.read("SELECT id FROM document"))
    kiosk.clock.advance(first)
    store, numbers, clock = kiosk.service, kiosk.numbers, kiosk.clock
    made = []
    for i in range(first, first + count):
        ballot = BALLOTS[i % len(BALLOTS)]
        store.scans.keep(ballot, noise_page(i, page_px), _Login(), None, "")
        numbers.numbers = {"test": i}
        made.append(store.finish(ballot, _Login()))
        for page in store.pages(ballot):
            store.discard(page.id)
        clock.advance(1)
    kiosk.db.close()
    return made
