"""The TPS's own time zone (WIB, WITA or WIT), from the province in its code.

The golden image is the same for every TPS, so its ``/etc/localtime`` is a link to
``<data_dir>/localtime``, which first boot fills from the installed profile. Opening at 07.00
and closing at 13.00 are local times: a kiosk in Makassar must not run on Jakarta time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.storage import write_durably

LOCALTIME_FILE = "localtime"
ZONEINFO = Path("/usr/share/zoneinfo")

_WIB = "Asia/Jakarta"
_WITA = "Asia/Makassar"
_WIT = "Asia/Jayapura"
# Province codes (the first two digits of a TPS code, Kemendagri numbering) by time zone.
_PROVINCES = {
    # Sumatra and the Riau Islands, Java, West and Central Kalimantan
    _WIB: "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 61 62",
    # Bali and Nusa Tenggara, South, East and North Kalimantan, Sulawesi
    _WITA: "51 52 53 63 64 65 71 72 73 74 75 76",
    # Maluku and Papua
    _WIT: "81 82 91 92 93 94 95 96",
}
PROVINCE_ZONES: dict[str, str] = {
    province: zone for zone, provinces in _PROVINCES.items() for province in provinces.split()
}

log = logging.getLogger(__name__)


def zone_for(tps_code: str) -> str | None:
    """The IANA zone of a TPS, or None for a province this table does not know."""
    return PROVINCE_ZONES.get(tps_code[:2])


def install_localtime(data_dir: Path, tps_code: str, zoneinfo: Path = ZONEINFO) -> str | None:
    """Write ``data_dir/localtime`` for the TPS (durably; unchanged files are not rewritten).
    Returns the zone, or None when none could be chosen (the clock then stays UTC and the
    Ketua's clock check shows it)."""
    zone = zone_for(tps_code)
    if zone is None:
        log.warning("no time zone known for province %s of TPS %s", tps_code[:2], tps_code)
        return None
    try:
        data = (zoneinfo / zone).read_bytes()
    except OSError as exc:
        log.warning("time zone %s not readable: %s", zone, exc)
        return None
    target = data_dir / LOCALTIME_FILE
    try:
        if target.read_bytes() == data:
            return zone
    except OSError:
        pass
    write_durably(target, data)
    log.info("time zone of TPS %s set to %s", tps_code, zone)
    return zone
