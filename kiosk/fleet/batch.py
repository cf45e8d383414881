"""``tps-kiosk fleet batch``: a CSV of TPS in; one signed provisioning file per TPS, the PIN list
for PPS and a report out.

Every problem of every row is reported ("baris N (kode ...): kolom: pesan") and that row gets no
file; the good rows still get theirs. A row is good only if the kiosk itself would accept its
profile (``kiosk.profile.parse_profile``). Profile problems come out as LazyStrings: call within
a Flask-Babel context to have them in Bahasa Indonesia (``kiosk.i18n``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.devicekey import fingerprint
from kiosk.fleet.envelope import seal
from kiosk.fleet.profiles import (
    STAND_IN,
    Member,
    Template,
    TemplateError,
    TemplateFolder,
    column_of,
    render,
    roster,
)
from kiosk.fleet.sheet import Row, read_sheet
from kiosk.profile import MAX_TEXT, ProfileError, parse_profile
from kiosk.storage import write_durably

PIN_LIST_COLUMNS = ("kode_tps", "kelurahan_desa", "nomor_tps", "petugas", "jabatan", "nama", "pin")
# ASCII digits only (\d takes full-width ones), as the kiosk itself checks the code.
_CODE = re.compile(r"[0-9]{13}\Z")
_EXCEL_NUMBER = re.compile(r"[0-9]+([.,][0-9]+)?E\+?[0-9]+\Z", re.IGNORECASE)


@dataclass(frozen=True)
class RowProblem:
    row: int
    code: str
    column: str
    message: str

    def __str__(self) -> str:
        return f"baris {self.row} (kode {self.code or '-'}): {self.column}: {self.message}"


@dataclass(frozen=True)
class Prepared:
    """A good row: its signed file's bytes and the roster whose PINs go on the PIN list."""

    code: str
    village: str
    members: list[Member]
    data: bytes


@dataclass
class BatchResult:
    csv_path: Path
    rows: int
    signer: str
    written: list[Path] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    template_problems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    pin_list: Path | None = None
    report: Path | None = None

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})


def _cell_problems(row: Row, duplicates: list[int]) -> list[tuple[str, str]]:
    """Problems told in the spreadsheet's own terms, before the profile is tried."""
    problems = []
    code = row["kode_tps"]
    if row.extra:
        problems.append(("(tanpa judul)", f"{row.extra} sel terisi di kanan kolom terakhir"))
    if _EXCEL_NUMBER.match(code):
        problems.append(
            (
                "kode_tps",
                "Excel mengubah kode menjadi angka; format kolom sebagai Teks, ketik ulang",
            )
        )
    elif not _CODE.match(code):
        problems.append(
            ("kode_tps", "harus 13 angka: 10 angka kode desa/kelurahan + 3 angka nomor TPS")
        )
    if duplicates:
        problems.append(
            ("kode_tps", "kode sama dengan baris " + ", ".join(str(n) for n in duplicates))
        )
    for column, value in row.cells.items():
        if len(value) > MAX_TEXT:  # told here, as a 1 MB cell would only make the file too big
            problems.append(
                (column, f"terlalu panjang ({len(value)} karakter; paling banyak {MAX_TEXT})")
            )
    if not row["ketua"]:
        problems.append(("ketua", "wajib diisi: nama Ketua KPPS"))
    if not row["profil"]:
        problems.append(("profil", "wajib diisi: nama templat profil"))
    return problems


def _template(row: Row, templates: TemplateFolder, result: BatchResult) -> Template | str:
    """The row's template, or why it cannot be used (its own problems go to ``result``)."""
    try:
        return templates.get(row["profil"])
    except TemplateError as exc:
        if exc.problems:
            result.template_problems[templates.file_name(row["profil"])] = exc.problems
        return str(exc)


def _check_row(
    row: Row, templates: TemplateFolder, duplicates: list[int], result: BatchResult
) -> tuple[str, list[Member], list[RowProblem]]:
    """The row's profile text, roster and problems (none: the kiosk would accept it)."""
    found = _cell_problems(row, duplicates)
    template = STAND_IN
    if row["profil"]:
        chosen = _template(row, templates, result)
        if isinstance(chosen, str):
            found.append(("profil", chosen))  # the stand-in still checks the rest of the row
        else:
            template = chosen
    members, roster_problems = roster(row)
    found += roster_problems
    text = render(template, row, members)
    flagged = {column for column, _ in found}  # said already, in the spreadsheet's terms
    try:
        parse_profile(text)
    except ProfileError as exc:
        for p in exc.problems:
            column = column_of(p.field, members) or f"profil ({template.name}) {p.field}"
            if column not in flagged:
                found.append((column, str(p.message)))
    problems = [RowProblem(row.number, row["kode_tps"], c, m) for c, m in found]
    return text, members, problems


def run_batch(
    csv_path: Path,
    key: Ed25519PrivateKey,
    templates_dir: Path,
    out_dir: Path,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Check every row, then write the PIN list, one signed file per good row and the report.
    Raises SheetError (nothing written) when the file or its header cannot be used."""
    now = now or dt.datetime.now(dt.UTC)
    sheet = read_sheet(csv_path)
    result = BatchResult(csv_path, len(sheet.rows), fingerprint(key))
    result.ignored_columns = sheet.ignored
    templates = TemplateFolder(templates_dir)
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row in sheet.rows:
        if row["kode_tps"]:
            rows_of[row["kode_tps"]].append(row.number)
    prepared = []
    for row in sheet.rows:
        code = row["kode_tps"]
        others = [n for n in rows_of.get(code, []) if n != row.number]
        text, members, problems = _check_row(row, templates, others, result)
        if problems:
            result.problems.extend(problems)
            continue
        prepared.append(Prepared(code, row["kelurahan_desa"], members, seal(text, code, key, now)))
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    if prepared:
        # The PIN list first: a signed file whose PINs nobody has is a locked-out kiosk.
        result.pin_list = _unused(out_dir, f"daftar-pin-{stamp}", ".csv")
        write_durably(result.pin_list, _pin_list(prepared, sheet.separator), mode=0o600)
    for p in prepared:
        path = out_dir / f"{p.code}.json"
        write_durably(path, p.data, mode=0o600)  # it holds the PINs until the kiosk installs it
        result.written.append(path)
    result.report = _unused(out_dir, f"laporan-{stamp}", ".txt")
    write_durably(result.report, ("\n".join(report_lines(result)) + "\n").encode())
    return result


def _unused(folder: Path, stem: str, suffix: str) -> Path:
    """A file name no earlier batch used, so a second batch never overwrites a PIN list."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def _pin_list(prepared: list[Prepared], separator: str) -> bytes:
    """CSV with a BOM, so Excel shows names with accents right; the same separator as the input.
    PINs never start with 0, so Excel cannot shorten them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(PIN_LIST_COLUMNS)
    for p in prepared:
        for m in p.members:
            writer.writerow((p.code, p.village, p.code[10:], m.id, m.role.label, m.name, m.pin))
    return out.getvalue().encode("utf-8-sig")


def report_lines(result: BatchResult) -> list[str]:
    lines = [
        f"CSV: {result.csv_path} ({result.rows} baris TPS)",
        f"Kunci provisioning: {result.signer}",
    ]
    if result.ignored_columns:
        lines.append("Kolom diabaikan: " + ", ".join(result.ignored_columns))
    for name, problems in result.template_problems.items():
        lines += [f"templat {name}: {p}" for p in problems]
    lines += [str(p) for p in result.problems]
    folder = result.written[0].parent if result.written else None
    lines.append(
        f"{len(result.written)} berkas provisioning ditulis"
        + (f" ke {folder}" if folder else "")
        + f"; {result.bad_rows} baris ditolak."
    )
    if result.pin_list:
        lines.append(
            f"Daftar PIN untuk PPS: {result.pin_list} (RAHASIA: cetak untuk amplop tertutup, "
            "lalu hapus)"
        )
    return lines
