"""The TPS's time zone comes from its province and lands in the data folder at first boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.tps_time import PROVINCE_ZONES, install_localtime, zone_for

ZONEINFO = Path("/usr/share/zoneinfo")


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("3171010001001", "Asia/Jakarta"),  # DKI Jakarta
        ("6101010001001", "Asia/Jakarta"),  # West Kalimantan is WIB
        ("6474010001005", "Asia/Makassar"),  # East Kalimantan is WITA
        ("5171010001001", "Asia/Makassar"),  # Bali
        ("9471010001001", "Asia/Jayapura"),  # Central Papua
        ("8171010001001", "Asia/Jayapura"),  # Maluku
    ],
)
def test_zone_by_province(code: str, zone: str) -> None:
    assert zone_for(code) == zone


def test_every_province_has_exactly_one_zone() -> None:
    assert len(PROVINCE_ZONES) == 38  # the 38 provinces since 2022
    assert set(PROVINCE_ZONES.values()) == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


def test_localtime_is_written_once_and_kept(tmp_path: Path) -> None:
    assert install_localtime(tmp_path, "6474010001005", ZONEINFO) == "Asia/Makassar"
    written = tmp_path / "localtime"
    assert written.read_bytes() == (ZONEINFO / "Asia/Makassar").read_bytes()
    before = written.stat().st_mtime_ns
    assert install_localtime(tmp_path, "6474010001005", ZONEINFO) == "Asia/Makassar"
    assert written.stat().st_mtime_ns == before  # unchanged: not rewritten


def test_unknown_province_leaves_the_clock_alone(tmp_path: Path, caplog) -> None:
    assert install_localtime(tmp_path, "9900000001001", ZONEINFO) is None
    assert not (tmp_path / "localtime").exists()
    assert "no time zone known for province 99" in caplog.text
