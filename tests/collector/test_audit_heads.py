"""The collector keeps each kiosk's signed audit head, as the kiosk's documents bring it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kiosk.audit import AuditLog
from kiosk.clock import SystemClock
from kiosk.collector import store
from kiosk.collector.config import Collector, Policy
from kiosk.collector.intake import receive
from kiosk.db import Database
from kiosk.devicekey import ensure_key, fingerprint
from kiosk.upload.bundle import build_bundle
from tests.stacks.collector import run_collector_cli
from tests.upload.docs import signed_documents


def _receive_all(collector: Collector, kiosk_dir: Path, docs: list, order: list[int]) -> None:
    for n in order:
        built = build_bundle(docs[n].folder, kiosk_dir / f"bundle{n}.zip")
        receive(collector, built.path.read_bytes(), "tus")


def test_the_collector_keeps_the_longest_head_per_tps_and_device(tmp_path: Path) -> None:
    kiosk_dir = tmp_path / "kiosk"
    docs = signed_documents(kiosk_dir, 3)
    db = Database(kiosk_dir / "kiosk.sqlite3")
    # The kiosk's head when it signed its last document (that document's own row came after).
    kiosk_head = AuditLog(db, SystemClock()).head()
    assert kiosk_head is not None
    collector = Collector(tmp_path / "collector", Policy(trust_first_use=True))

    _receive_all(collector, kiosk_dir, docs, [2, 0, 1])  # out of order, as uploads arrive

    conn = store.connect(collector.db_path)
    try:
        latest = store.latest_audit_heads(conn)
    finally:
        conn.close()
    assert len(latest) == 1
    head = latest[0]
    assert head.tps_code == "6474010001005"
    assert head.device == fingerprint(ensure_key(kiosk_dir))
    assert head.heads == 3
    assert head.key == hashlib.sha256(docs[2].manifest.read_bytes()).hexdigest()
    assert head.count == kiosk_head.count - 1  # the last document's own audit row follows it

    listed = run_collector_cli("devices", "--data", str(collector.data_dir))
    assert listed.returncode == 0, listed.stderr
    assert f"audit head: {head.count} rows {head.hash[:12]}" in listed.stdout


def test_an_older_collector_database_gains_the_heads_table(tmp_path: Path) -> None:
    """A collector made before heads were kept (schema 1) is migrated in place."""
    import sqlite3

    from kiosk.collector.store import _SCHEMA

    db_path = Collector(tmp_path / "c").db_path
    db_path.parent.mkdir(parents=True)
    old = sqlite3.connect(db_path)
    old.executescript(_SCHEMA + "PRAGMA user_version=1;")
    old.close()
    conn = store.connect(db_path)
    try:
        assert store.latest_audit_heads(conn) == []
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    finally:
        conn.close()
