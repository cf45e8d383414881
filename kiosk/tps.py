"""Who this kiosk serves: the TPS identity (part of the profile, see kiosk/profile.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TpsIdentity:
    code: str  # 13 digits: 10-digit village code + 3-digit TPS number
    province: str
    regency: str
    district: str
    village: str
    election: str  # "Pemilu" or "Pilkada"

    @property
    def number(self) -> str:
        """The TPS number within its village, e.g. "005"."""
        return self.code[10:]


# The demo's and the training's TPS (made-up names and people).
SAMPLE_PROFILE = Path(__file__).parent / "demo" / "sample_profile.toml"
