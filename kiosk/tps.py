"""Who this kiosk is: the TPS identity (the provisioning issue grows this into the full profile)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

_CODE = re.compile(r"^\d{13}$")


class TpsFileError(ValueError):
    """The TPS file cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class TpsIdentity:
    code: str  # 13 digits: 10-digit village code + 3-digit TPS number
    province: str
    regency: str
    district: str
    village: str
    election: str

    @property
    def number(self) -> str:
        """The TPS number within its village, e.g. "005"."""
        return self.code[10:]


def load_identity(path: Path) -> TpsIdentity:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TpsFileError(f"{path}: {exc}") from exc
    fields = ("code", "province", "regency", "district", "village", "election")
    missing = [f for f in fields if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        raise TpsFileError(f"{path}: missing or empty: {', '.join(missing)}")
    if not _CODE.match(data["code"]):
        raise TpsFileError(f"{path}: code must be 13 digits, got {data['code']!r}")
    return TpsIdentity(**{f: data[f].strip() for f in fields})


SAMPLE_TPS = Path(__file__).parent / "demo" / "sample_tps.toml"
