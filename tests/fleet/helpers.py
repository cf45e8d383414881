"""Builders for fleet tests and the provisioning benchmark: a profile template, TPS rows, the
CSV a spreadsheet exports, and a small SD image with a real FAT partition."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

from kiosk.fleet.sheet import OPTIONAL, REQUIRED

TEMPLATE = """# Pemilu 2024, Dapil Kaltim 1 (made-up candidates)
election = "pemilu"
election_date = 2024-02-14
reserve_percent = 2.0
allow_pin_only = true

[upload]
endpoint = "https://collector.example.go.id/files/"
token = "token-untuk-uji-coba-0001"

[[ballots]]
type = "PPWP"
candidates = ["Paslon 01", "Paslon 02", "Paslon 03"]

[[ballots]]
type = "DPR"
[[ballots.parties]]
name = "Partai Contoh A"
candidates = ["Calon A1", "Calon A2"]
"""
TEMPLATE_NAME = "dapil-kaltim-1.toml"
HEADER = (*REQUIRED, *OPTIONAL)
LABEL = "BOOTFS"
FAT_START = 2048  # sectors, as the Pi image has its boot partition


def code(i: int) -> str:
    """The i-th made-up TPS code: 10-digit village + 3-digit TPS number (never 000)."""
    return f"6474{10001 + i // 900:06d}{i % 900 + 1:03d}"


def row(i: int, **cells: str) -> dict[str, str]:
    base = {
        "kode_tps": code(i),
        "provinsi": "Kalimantan Timur",
        "kabupaten_kota": "Kota Samarinda",
        "kecamatan": "Kecamatan Contoh",
        "kelurahan_desa": f"Kelurahan Sukamaju {i}",
        "dpt_l": "140",
        "dpt_p": "139",
        "profil": TEMPLATE_NAME,
        "ketua": "Siti Aminah",
        "anggota_2": "Budi Santoso",
        "anggota_3": "Rina Wulandari",
        "anggota_4": "Ahmad Fauzi",
        "anggota_5": "Dewi Lestari",
        "anggota_6": "Yohanes Pasaribu",
        "anggota_7": "I Made Suarta",
        "operator_sirekap": "4 5",
        "teknisi": "Teknisi Kota",
    }
    return {**base, **cells}


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    sep: str = ";",
    bom: bool = False,
    header: tuple[str, ...] = HEADER,
) -> Path:
    """As a spreadsheet exports it: CRLF, cells quoted only when they must be."""

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(column, "") for column in header])
    path.write_bytes(out.getvalue().encode("utf-8-sig" if bom else "utf-8"))
    return path


def make_image(path: Path, label: str = LABEL, fat: bool = True) -> Path:
    """A 24 MiB image with the kiosk card's layout: an MBR, partition 1 FAT (type c, labelled
    ``label``) and a Linux partition after it; ``fat=False`` leaves out the FAT partition."""
    for tool in ("sfdisk", "mkfs.vfat"):
        if shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
            raise FileNotFoundError(f"{tool} is not installed (apt install fdisk dosfstools)")
    subprocess.run(["truncate", "-s", "24M", str(path)], check=True)
    script = (
        f"label: dos\nstart={FAT_START}, size=16384, type=c\nstart=18432, type=83\n"
        if fat
        else f"label: dos\nstart={FAT_START}, type=83\n"
    )
    sbin = "/usr/sbin:/sbin:/usr/bin:/bin"
    subprocess.run(
        ["sfdisk", "-q", str(path)],
        input=script.encode(),
        check=True,
        capture_output=True,
        env={"PATH": sbin},
    )
    if fat:
        subprocess.run(
            ["mkfs.vfat", "-n", label, "--offset", str(FAT_START), str(path), "8192"],
            check=True,
            capture_output=True,
            env={"PATH": sbin},
        )
    return path


def batch(fleet, tmp_path, templates, csv_path, out="out"):
    """``tps-kiosk fleet batch`` with the tests' key (tmp_path/keys) and templates."""
    return fleet(
        "batch",
        csv_path,
        "--key",
        tmp_path / "keys" / "kpu-kota.pem",
        "--profiles",
        templates,
        "--out",
        tmp_path / out,
    )
