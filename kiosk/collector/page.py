"""The listing page for PPS/PPK staff: documents received per TPS, newest first.

Plain string building; every value from a manifest or the database goes through ``escape``.
"""

from __future__ import annotations

from html import escape

from kiosk.collector.config import Policy
from kiosk.collector.record_store import StoredRecord
from kiosk.collector.store import Rejection, StoredDocument

_STYLE = """
body { font-family: sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; }
th { background: #eee; }
.latihan { background: #fff3c4; font-weight: bold; }
code { font-size: .9em; }
"""


def render(
    docs: list[StoredDocument],
    rejected: list[Rejection],
    policy: Policy,
    records: list[StoredRecord] | None = None,
) -> str:
    """``docs`` newest first; TPS are ordered by their newest document. ``records``: each
    ballot's current result record, listed first (the numbers arrive before the scans)."""
    parts = [
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>",
        "<title>Pengumpul dokumen TPS (TPS document collector)</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Dokumen C.Hasil diterima <small>(C.Hasil documents received)</small></h1>",
    ]
    if policy.accept_training:
        parts.append(
            "<p class='latihan'>Pengumpul LATIHAN: dokumen latihan diterima dan ditandai"
            " (training collector: training documents are accepted and marked)</p>"
        )
    if records:
        parts += _records(records)
    if not docs:
        parts.append("<p>Belum ada dokumen (no documents yet).</p>")
    by_tps: dict[str, list[StoredDocument]] = {}
    for doc in docs:  # newest first, so TPS come in the order of their newest document
        by_tps.setdefault(doc.tps_code, []).append(doc)
    for tps_code, group in by_tps.items():
        parts.append(f"<h2>TPS {escape(tps_code)}</h2>")
        parts.append(
            "<table><tr><th>Surat suara (ballot)</th><th>Diterima (received, UTC)</th>"
            "<th>Jalur (route)</th><th>SHA-256</th><th></th><th>PDF</th></tr>"
        )
        for doc in group:
            marker = "<td class='latihan'>LATIHAN (training)</td>" if doc.training else "<td></td>"
            link = f"/documents/{escape(doc.key)}/document.pdf"
            parts.append(
                f"<tr><td>{escape(doc.ballot)}</td><td>{escape(doc.received)}</td>"
                f"<td>{escape(doc.source)}</td><td><code>{escape(doc.bundle_sha256[:12])}</code>"
                f"</td>{marker}<td><a href='{link}'>Unduh (download)</a></td></tr>"
            )
        parts.append("</table>")
    if rejected:
        parts.append("<h2>Ditolak (rejected)</h2><table>")
        parts.append(
            "<tr><th>Waktu (time, UTC)</th><th>Kunci (key)</th><th>Alasan (reason)</th>"
            "<th>Keterangan (detail)</th><th>Jalur (route)</th></tr>"
        )
        for r in rejected:
            parts.append(
                f"<tr><td>{escape(r.received)}</td><td><code>{escape(r.key[:12])}</code></td>"
                f"<td>{escape(r.reason)}</td><td>{escape(r.detail)}</td>"
                f"<td>{escape(r.source)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _records(records: list[StoredRecord]) -> list[str]:
    parts = [
        "<h2>Hasil angka diterima <small>(result records received)</small></h2>",
        "<table><tr><th>TPS</th><th>Surat suara (ballot)</th><th>#</th>"
        "<th>Dikonfirmasi (confirmed, TPS time)</th><th>Diterima (received, UTC)</th>"
        "<th>Pindaian (scan)</th><th></th></tr>",
    ]
    for r in records:
        scan = (
            f"hasil dan pindaian diterima <code>{escape(r.document_key[:12])}</code>"
            if r.document_key
            else "hasil diterima, pindaian menyusul"
        )
        marker = "<td class='latihan'>LATIHAN (training)</td>" if r.training else "<td></td>"
        parts.append(
            f"<tr data-record='{escape(r.key[:12])}'><td>{escape(r.tps_code)}</td>"
            f"<td>{escape(r.ballot)}</td><td>{r.seq}</td><td>{escape(r.confirmed_at)}</td>"
            f"<td>{escape(r.received)}</td><td>{scan}</td>{marker}</tr>"
        )
    parts.append("</table>")
    return parts
