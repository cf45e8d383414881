"""The TPS list a technician exports from a spreadsheet: one header row, then one row per TPS.

UTF-8 with or without a BOM ("CSV UTF-8" in Excel); separated by ``;`` (Excel in an Indonesian
locale), ``,`` or a tab, whichever the header row uses. Header names are matched loosely
("Kabupaten/Kota", "kabupaten kota" and "kabupaten_kota" are the same column); columns this
module does not know are ignored and reported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IDENTITY = ("kode_tps", "provinsi", "kabupaten_kota", "kecamatan", "kelurahan_desa")
KPPS = ("ketua", *(f"anggota_{n}" for n in range(2, 8)))  # KPPS 1 (Ketua) .. KPPS 7
REQUIRED = (*IDENTITY, "dpt_l", "dpt_p", "profil", *KPPS)
OPTIONAL = ("operator_sirekap", "teknisi")
SEPARATORS = ";,\t"


class SheetError(ValueError):
    """The file as a whole cannot be read (encoding, header); no row is looked at."""


@dataclass(frozen=True)
class Row:
    number: int  # the spreadsheet's row number: the header is row 1
    cells: dict[str, str]  # column -> stripped text ("" when empty)
    extra: int = 0  # non-empty cells beyond the header's columns

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Sheet:
    rows: tuple[Row, ...]
    separator: str
    ignored: tuple[str, ...]  # header names that are no column of ours


def column_name(header: str) -> str:
    """``" Kabupaten/Kota "`` -> ``kabupaten_kota``."""
    return re.sub(r"[\s/\-.]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")


def read_sheet(path: Path) -> Sheet:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SheetError(f"{path}: tidak bisa dibaca ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise SheetError(
            f"{path}: bukan UTF-8 (byte {exc.start}); di Excel simpan sebagai 'CSV UTF-8'"
        ) from exc
    first = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first.count)
    if not first.count(separator):
        raise SheetError(f"{path}: baris judul tidak berisi pemisah ; atau , (bukan CSV?)")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = [column_name(h) for h in next(reader)]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    missing = [c for c in REQUIRED if c not in header]
    if duplicated or missing:
        problems = []
        if missing:
            problems.append("kolom wajib tidak ada: " + ", ".join(missing))
        if duplicated:
            problems.append("kolom muncul dua kali: " + ", ".join(duplicated))
        raise SheetError(
            f"{path}: judul kolom salah ({'; '.join(problems)}). Kolom yang dibaca: "
            + ", ".join(h or "(kosong)" for h in header)
            + ". Kolom wajib: "
            + ", ".join(REQUIRED)
            + "; boleh ditambah: "
            + ", ".join(OPTIONAL)
        )
    known = set(REQUIRED) | set(OPTIONAL)
    try:
        rows = _rows(reader, header, known)
    except csv.Error as exc:  # a cell over csv's 128 KiB field limit, or a stray quote
        raise SheetError(
            f"{path}: baris {reader.line_num}: sel terlalu panjang atau CSV rusak ({exc});"
            " daftar TPS hanya berisi nama dan angka"
        ) from exc
    ignored = tuple(h or "(kosong)" for h in header if h not in known)
    return Sheet(tuple(rows), separator, ignored)


def _rows(reader: Iterator[list[str]], header: list[str], known: set[str]) -> list[Row]:
    rows = []
    for number, raw in enumerate(reader, start=2):
        cells = [" ".join(c.split()) for c in raw]  # Alt+Enter and stray spaces in a cell
        if not any(cells):
            continue  # Excel's trailing ";;;;" rows
        rows.append(
            Row(
                number,
                {h: c for h, c in zip(header, cells, strict=False) if h in known},
                sum(1 for c in cells[len(header) :] if c),
            )
        )
    return rows
