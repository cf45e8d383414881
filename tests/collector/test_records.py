"""The collector's result records, in process: whichever order a record, the record that
supersedes it and the document that names it arrive in, the current record is the newest
confirmation and the document is linked to its record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.chasil.checks import Sheet
from kiosk.chasil.result_record import Confirmed, SignedRecord, sign_record
from kiosk.collector import record_store, store
from kiosk.collector.config import Collector, Policy
from kiosk.collector.records import numbers, receive_record, same_numbers
from kiosk.upload.bundle import BundleInvalid

TPS = "6474010001005"
BOXES = {"V.0": 60, "V.1": 40, "V.2": 8, "S": 108}


def record(key: Ed25519PrivateKey, seq: int, prev: str = "", votes: int = 60) -> SignedRecord:
    sheet = Sheet("PPWP", {**BOXES, "V.0": votes}, candidates=3)
    confirmed = Confirmed(
        TPS, sheet, [], "", "kpps1", "Siti Aminah", "ketua", "2024-02-14T19:05:00+08:00",
        "WITA", False,
    )  # fmt: skip
    return sign_record(confirmed, seq, prev, key)


@pytest.fixture
def collector(tmp_path: Path) -> Collector:
    return Collector(tmp_path / "collector", Policy(trust_first_use=True))


def rows(collector: Collector) -> dict[str, record_store.StoredRecord]:
    conn = store.connect(collector.db_path)
    try:
        return {r.key: r for r in record_store.records(conn, current_only=False)}
    finally:
        conn.close()


def test_a_late_older_record_is_kept_but_never_current(collector):
    key = Ed25519PrivateKey.generate()
    first = record(key, 1)
    second = record(key, 2, first.key, votes=62)
    receipt, new = receive_record(collector, second.key, second.data)
    assert new and receipt["current"] and receipt["status"] == "hasil diterima, pindaian menyusul"
    receipt, new = receive_record(collector, first.key, first.data)  # arrives late
    assert new and not receipt["current"]
    stored = rows(collector)
    assert stored[first.key].superseded_by == second.key and stored[second.key].superseded_by == ""
    again, new = receive_record(collector, first.key, first.data)
    assert not new and again == receipt  # stored once, the same receipt


def test_a_document_that_came_first_is_linked_when_its_record_arrives(collector):
    signed = record(Ed25519PrivateKey.generate(), 1)
    conn = store.connect(collector.db_path)
    with store.write(conn):  # as a USB import would have stored it, naming its record
        conn.execute(
            "INSERT INTO documents (key, tps_code, ballot, bundle_sha256, pdf_sha256, device,"
            " training, source, received, manifest) VALUES (?, ?, 'PPWP', '', '', '', 0, 'usb',"
            " '', ?)",
            ("d" * 64, TPS, json.dumps({"confirmed": {"record": signed.key}})),
        )
    conn.close()
    receipt, _ = receive_record(collector, signed.key, signed.data)
    assert receipt["document"] == "d" * 64 and receipt["status"] == "hasil dan pindaian diterima"


def test_another_devices_record_for_a_known_tps_is_refused_and_recorded(collector):
    receive_record(collector, *_key_and_data(record(Ed25519PrivateKey.generate(), 1)))
    other = record(Ed25519PrivateKey.generate(), 1, votes=61)
    with pytest.raises(BundleInvalid) as refused:
        receive_record(collector, other.key, other.data)
    assert refused.value.reason == "device_mismatch"
    conn = store.connect(collector.db_path)
    try:
        assert store.latest_rejection(conn, other.key).reason == "device_mismatch"
    finally:
        conn.close()
    assert other.key not in rows(collector)


def _key_and_data(signed: SignedRecord) -> tuple[str, bytes]:
    return signed.key, signed.data


def test_no_number_is_dropped_not_even_one_outside_the_sheets_shape(collector):
    sheet = Sheet("PPWP", {**BOXES, "V.3": 5}, candidates=3)  # a fourth candidate's box
    confirmed = Confirmed(
        TPS, sheet, [], "", "kpps1", "Siti Aminah", "ketua", "2024-02-14T19:05:00+08:00",
        "WITA", False,
    )  # fmt: skip
    signed = sign_record(confirmed, 1, "", Ed25519PrivateKey.generate())
    receive_record(collector, signed.key, signed.data)
    fields = rows(collector)[signed.key].fields
    filled = {box: n for box, n in numbers(fields).items() if n is not None}
    assert filled == {**BOXES, "V.3": 5}
    assert same_numbers(fields, {**BOXES, "V.3": 5})
    assert not same_numbers(fields, {**BOXES, "V.3": 6})
