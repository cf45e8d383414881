"""Every setting of the kiosk, declared once: name, type, default and help text.

Settings come from, in order of precedence: ``KIOSK_<NAME>`` environment variables, a TOML file
(``--config`` or ``KIOSK_CONFIG``), then the defaults below. The README's settings table is
generated from this declaration (``tps-kiosk settings --markdown``) and a test keeps them equal.

Each setting is one typed attribute of ``Settings`` (a ``Setting[T]`` descriptor), so
``settings.port`` is an ``int`` to mypy and a misspelled ``settings.prot`` is an error, and
``DECLARED`` is read from the class: there is no second list.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from drivers import registry
from drivers.gpio import PanelPins
from drivers.registry import DeviceConfig

ENV_PREFIX = "KIOSK_"


class SettingsError(ValueError):
    """A setting has a value the kiosk cannot use; the message names the setting and source."""


T = TypeVar("T")


class Setting(Generic[T]):
    """One declared setting: its type, default and help text (the name is the attribute's).

    Read on a ``Settings`` it gives the loaded value, typed ``T``; read on the class it gives
    the declaration itself (for the tables and the loader)."""

    def __init__(self, type: type[T], default: T, help: str, choices: tuple[str, ...] = ()) -> None:
        self.name = ""
        self.type = type
        self.default = default
        self.help = help
        self.choices = choices

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @overload
    def __get__(self, settings: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, settings: Settings, owner: type) -> T: ...

    def __get__(self, settings: Settings | None, owner: type) -> Setting[T] | T:
        if settings is None:
            return self
        value: T = settings.values.get(self.name, self.default)
        return value

    def __repr__(self) -> str:
        return f"Setting({self.name!r}, {self.type.__name__}, {self.default!r})"


@dataclass(frozen=True)
class Settings:
    """The loaded settings. Build with ``load()`` or ``Settings.from_values()``."""

    values: Mapping[str, Any] = field(default_factory=dict)

    data_dir = Setting(
        Path,
        Path("/var/lib/tps-kiosk"),
        "Directory for the database, documents and queue (the data partition on the Pi).",
    )
    bind = Setting(str, "127.0.0.1", "Address the web app listens on.")
    allow_remote_bind = Setting(
        bool,
        False,
        "Allow a bind address other than loopback (the kiosk is meant to be local only).",
    )
    port = Setting(int, 8080, "TCP port of the web app.")
    language = Setting(str, "id", "Default screen language.", ("id", "en"))
    training = Setting(
        bool,
        False,
        "Training (bimtek) mode: SIMULASI on every screen and printout.",
    )
    hardware = Setting(
        str,
        "",
        "Set to 'fake' to force every device to its fake adapter, whatever the others say.",
        ("", "fake"),
    )
    scanner = Setting(str, "sane", "Scanner adapter.", registry.SCANNERS)
    scanner_device = Setting(
        str,
        "",
        "SANE device name (see `scanimage -L`); empty = first scanner found.",
    )
    scanner_dpi = Setting(int, 300, "Scan resolution in dots per inch.")
    paper_reader = Setting(
        bool,
        True,
        "Read the handwritten numbers of each scanned C.Hasil page in the background (the"
        " advisory third reader: compared with the typed numbers and signed in the manifest).",
    )
    fake_scan_pages = Setting(
        str,
        "realistic",
        "What the fake scanner delivers: 'realistic' pages (paper, pen, skew, uneven light and"
        " sensor noise, several MB as PNG, like a real scan) or 'clean' ones (~100 KB, faster).",
        registry.FAKE_SCAN_PAGES,
    )
    receipt_printer = Setting(
        str,
        "escpos",
        "Thermal receipt printer adapter.",
        registry.RECEIPT_PRINTERS,
    )
    receipt_connection = Setting(
        str,
        "usb://04b8:0e28",
        "Receipt printer address: usb://VID:PID, tcp://HOST:PORT, "
        "serial:///dev/ttyUSB0?baudrate=19200 or cups://QUEUE.",
    )
    receipt_profile = Setting(
        str,
        "TM-T20II",
        "python-escpos printer profile (sets the paper width in dots).",
    )
    receipt_paper_mm = Setting(
        int,
        80,
        "Paper width in mm (58 or 80), used when the profile does not give one.",
    )
    document_printer = Setting(str, "cups", "A4 printer adapter.", registry.DOCUMENT_PRINTERS)
    cups_queue = Setting(str, "", "CUPS queue for A4 printing; empty = the CUPS default.")
    card_reader = Setting(str, "pcsc", "Smart card reader adapter.", registry.CARD_READERS)
    card_reader_name = Setting(
        str,
        "",
        "Part of the PC/SC reader name to use; empty = first reader.",
    )
    panel = Setting(str, "gpiozero", "GPIO status panel adapter.", registry.PANELS)
    pin_led_ready = Setting(int, 17, "BCM pin of the power/ready LED.")
    pin_led_network = Setting(int, 27, "BCM pin of the network LED.")
    pin_led_queue = Setting(int, 22, "BCM pin of the upload-queue LED.")
    pin_buzzer = Setting(int, 23, "BCM pin of the buzzer.")
    pin_button = Setting(int, 24, "BCM pin of the push button (to ground; internal pull-up).")
    required_devices = Setting(
        str,
        "scanner,document_printer",
        "Comma-separated devices whose self-test failure makes `selftest` exit non-zero "
        "(scanner, receipt_printer, document_printer, card_reader, panel).",
    )
    min_free_mb = Setting(
        int,
        512,
        "Self-test fails when the data directory has less free space than this (MiB).",
    )
    upload_endpoint = Setting(
        str,
        "",
        "Override of the TPS profile's collector URL (tus creation URL, e.g. for a bimtek "
        "room); empty = the profile's [upload] endpoint.",
    )
    upload_chunk_kb = Setting(int, 256, "Size of one upload chunk (KiB); resumes lose at most one.")
    upload_timeout_s = Setting(int, 30, "Seconds one upload request may take before it is retried.")
    upload_probe_s = Setting(
        int,
        5,
        "While documents wait for the network, look for it this often (s).",
    )
    upload_backoff_base_s = Setting(int, 5, "First retry delay ceiling (s); doubles per attempt.")
    upload_backoff_cap_s = Setting(int, 600, "Longest wait between two attempts (s).")
    upload_receipt = Setting(
        str,
        "receipt",
        "What confirms a document once the server has all its bytes: `receipt` = the "
        "collector's receipt (its hash, `GET /receipts/<key>`), asked for with backoff; "
        "`tus_completion` = the completed tus upload itself, for a server without a receipt "
        "route. A delivered document is never sent again in either mode.",
        ("receipt", "tus_completion"),
    )
    usb_export_root = Setting(
        Path,
        Path("/media/tps-kiosk"),
        "USB drives are mounted below this folder; each mount point is offered for USB export.",
    )
    provision_file = Setting(
        Path,
        Path("/boot/firmware/tps-kiosk-provision.json"),
        "Signed provisioning file that `tps-kiosk firstboot` installs when no profile is "
        "installed yet; deleted after the install (it holds the PINs).",
    )
    provisioning_keys = Setting(
        Path,
        Path("/etc/tps-kiosk/provisioning-keys"),
        "Folder of trusted provisioning public keys (`*.pub`, PEM) that a provisioning file "
        "must be signed with.",
    )
    idle_timeout_min = Setting(int, 15, "Log the officer out after this many idle minutes.")
    session_max_hours = Setting(int, 12, "Log the officer out this many hours after login.")
    pin_attempts = Setting(int, 5, "Wrong PINs in a row before the officer is locked out.")
    lockout_s = Setting(
        int,
        60,
        "First lockout in seconds; each further lockout of the same officer doubles it.",
    )
    log_level = Setting(str, "INFO", "Logging level.", ("DEBUG", "INFO", "WARNING", "ERROR"))

    @classmethod
    def from_values(cls, **values: Any) -> Settings:
        """Settings from Python values (tests, the demo command); each is checked."""
        parsed = {}
        for name, raw in values.items():
            if name not in _BY_NAME:
                raise SettingsError(f"unknown setting {name!r}")
            parsed[name] = _parse(_BY_NAME[name], raw, "code")
        return cls(parsed)

    def replace(self, **values: Any) -> Settings:
        return Settings({**self.values, **Settings.from_values(**values).values})

    @property
    def all_fake(self) -> bool:
        return bool(self.hardware == "fake")

    def device_config(self) -> DeviceConfig:
        fake = self.all_fake
        return DeviceConfig(
            scanner="fake" if fake else self.scanner,
            scanner_device=self.scanner_device,
            receipt_printer="fake" if fake else self.receipt_printer,
            receipt_connection=self.receipt_connection,
            receipt_profile=self.receipt_profile,
            receipt_paper_mm=self.receipt_paper_mm,
            document_printer="fake" if fake else self.document_printer,
            cups_queue=self.cups_queue,
            card_reader="fake" if fake else self.card_reader,
            card_reader_name=self.card_reader_name,
            panel="fake" if fake else self.panel,
            pins=PanelPins(
                led_ready=self.pin_led_ready,
                led_network=self.pin_led_network,
                led_queue=self.pin_led_queue,
                buzzer=self.pin_buzzer,
                button=self.pin_button,
            ),
            fake_output_dir=Path(self.data_dir) / "simulasi",
            fake_scan_pages=self.fake_scan_pages,
        )

    @property
    def required(self) -> frozenset[str]:
        return frozenset(p.strip() for p in str(self.required_devices).split(",") if p.strip())


DECLARED: tuple[Setting[Any], ...] = tuple(
    v for v in vars(Settings).values() if isinstance(v, Setting)
)
_BY_NAME = {s.name: s for s in DECLARED}


def _parse(setting: Setting[Any], raw: Any, source: str) -> Any:
    """Turn a TOML value or an environment string into the setting's type."""
    where = f"{setting.name} ({source})"
    try:
        if setting.type is bool:
            if isinstance(raw, bool):
                value: Any = raw
            elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
                value = True
            elif str(raw).strip().lower() in ("0", "false", "no", "off", ""):
                value = False
            else:
                raise ValueError(raw)
        elif setting.type is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = int(raw)
        elif setting.type is Path:
            value = Path(str(raw)).expanduser()
        else:
            if not isinstance(raw, str | int | float):
                raise ValueError(raw)
            value = str(raw)
    except ValueError as exc:
        raise SettingsError(f"{where}: {raw!r} is not a valid {setting.type.__name__}") from exc
    if setting.choices and value not in setting.choices:
        raise SettingsError(f"{where}: {value!r} is not one of {', '.join(setting.choices)}")
    return value


def load(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load settings from a TOML file (optional) and ``KIOSK_*`` environment variables."""
    env = os.environ if environ is None else environ
    if config_file is None and env.get("KIOSK_CONFIG"):
        config_file = Path(env["KIOSK_CONFIG"])
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            with config_file.open("rb") as fh:
                table = tomllib.load(fh)
        except OSError as exc:
            raise SettingsError(f"cannot read {config_file}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config_file}: {exc}") from exc
        for name, raw in table.items():
            if name not in _BY_NAME:
                raise SettingsError(f"{config_file}: unknown setting {name!r}")
            values[name] = _parse(_BY_NAME[name], raw, str(config_file))
    for setting in DECLARED:
        if setting.env in env:
            values[setting.name] = _parse(setting, env[setting.env], setting.env)
    return Settings(values)


def markdown_table() -> str:
    """The README's settings table, generated from DECLARED."""
    rows = ["| Setting | Environment | Default | Meaning |", "|---|---|---|---|"]
    for s in DECLARED:
        default = "(empty)" if s.default == "" else str(s.default)
        meaning = s.help + (
            f" One of: {', '.join(c or '(empty)' for c in s.choices)}." if s.choices else ""
        )
        rows.append(f"| `{s.name}` | `{s.env}` | `{default}` | {meaning} |")
    return "\n".join(rows) + "\n"
