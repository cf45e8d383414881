"""The TPS's own time zone (WIB, WITA or WIT), from the province in its code.

The golden image is the same for every TPS, so its ``/etc/localtime`` is a link to
``<data_dir>/localtime``, which first boot fills from the installed profile. Opening at 07.00
and closing at 13.00 are local times: a kiosk in Makassar must not run on Jakarta time.
"""

from __future__ import annotations

import datetime as dt
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

# Indonesia keeps no daylight saving time: each zone is a fixed offset with its own name, so
# printed times need neither tzdata nor the system's zone (a Pi may still run on UTC).
ZONE_NAMES = {_WIB: "WIB", _WITA: "WITA", _WIT: "WIT"}
_UTC_HOURS = {_WIB: 7, _WITA: 8, _WIT: 9}
_BY_OFFSET = {dt.timedelta(hours=h): ZONE_NAMES[z] for z, h in _UTC_HOURS.items()}

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


def tps_tzinfo(tps_code: str) -> dt.timezone | None:
    """The TPS's zone as a fixed offset named WIB, WITA or WIT; None for an unknown province."""
    zone = zone_for(tps_code)
    if zone is None:
        return None
    return dt.timezone(dt.timedelta(hours=_UTC_HOURS[zone]), ZONE_NAMES[zone])


def tps_time(when: dt.datetime | str, tps_code: str) -> tuple[dt.datetime, str]:
    """``when`` (aware, or ISO 8601 with an offset) on the TPS's clock, and that zone's name.

    For a province this table does not know, the time stays as recorded and is named by its
    offset (WIB for +07:00 ..., else "UTC+05:30"), so a printed time is never without a zone.
    """
    moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive: the kiosk's own local time
    tz = tps_tzinfo(tps_code)
    if tz is not None:
        return moment.astimezone(tz), str(tz.tzname(None))
    offset = moment.utcoffset() or dt.timedelta(0)
    if offset in _BY_OFFSET:
        return moment, _BY_OFFSET[offset]
    if not offset:
        return moment, "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return moment, f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_tps_time(when: dt.datetime | str, tps_code: str, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """``when`` as printed at the TPS, with its zone: "14-02-2024 13:05 WITA"."""
    moment, name = tps_time(when, tps_code)
    return f"{moment.strftime(fmt)} {name}"
