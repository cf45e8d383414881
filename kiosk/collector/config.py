"""Where a collector keeps its data and which bundles it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Policy:
    """``accept_training``: a training (bimtek) collector also accepts training bundles and marks
    them; a production collector refuses them. ``trust_first_use``: the first key seen for an
    unknown TPS is registered (and logged); another key for a known TPS is still refused."""

    accept_training: bool = False
    trust_first_use: bool = False


@dataclass(frozen=True)
class Load:
    """Load shedding. ``max_uploads``: how many tus upload requests (creation POST and PATCH)
    are served at once; one more is answered ``503`` with ``Retry-After: retry_after_s``
    (0: no limit). Reads (HEAD, receipts, health) are never shed: they are cheap, and a kiosk
    must always be able to learn an offset or a receipt."""

    max_uploads: int = 0
    retry_after_s: int = 10


@dataclass(frozen=True)
class Collector:
    """A collector's data folder: ``tus/`` (tuspyserver's uploads and their ``.info`` files),
    ``documents/<tps>/<ballot>/<key>/`` and ``collector.sqlite3``."""

    data_dir: Path
    policy: Policy = field(default_factory=Policy)
    load: Load = field(default_factory=Load)

    @property
    def tus_dir(self) -> Path:
        return self.data_dir / "tus"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "collector.sqlite3"
