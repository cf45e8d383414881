"""Every setting of the kiosk, declared once: name, type, default and help text.

Settings come from, in order of precedence: ``KIOSK_<NAME>`` environment variables, a TOML file
(``--config`` or ``KIOSK_CONFIG``), then the defaults below. The README's settings table is
generated from this declaration (``tps-kiosk settings --markdown``) and a test keeps them equal.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers import registry
from drivers.gpio import PanelPins
from drivers.registry import DeviceConfig

ENV_PREFIX = "KIOSK_"


class SettingsError(ValueError):
    """A setting has a value the kiosk cannot use; the message names the setting and source."""


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


DECLARED: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        Path,
        Path("/var/lib/tps-kiosk"),
        "Directory for the database, documents and queue (the data partition on the Pi).",
    ),
    Setting("bind", str, "127.0.0.1", "Address the web app listens on."),
    Setting(
        "allow_remote_bind",
        bool,
        False,
        "Allow a bind address other than loopback (the kiosk is meant to be local only).",
    ),
    Setting("port", int, 8080, "TCP port of the web app."),
    Setting("language", str, "id", "Default screen language.", ("id", "en")),
    Setting(
        "training", bool, False, "Training (bimtek) mode: SIMULASI on every screen and printout."
    ),
    Setting(
        "hardware",
        str,
        "",
        "Set to 'fake' to force every device to its fake adapter, whatever the others say.",
        ("", "fake"),
    ),
    Setting("scanner", str, "sane", "Scanner adapter.", registry.SCANNERS),
    Setting(
        "scanner_device",
        str,
        "",
        "SANE device name (see `scanimage -L`); empty = first scanner found.",
    ),
    Setting("scanner_dpi", int, 300, "Scan resolution in dots per inch."),
    Setting(
        "receipt_printer",
        str,
        "escpos",
        "Thermal receipt printer adapter.",
        registry.RECEIPT_PRINTERS,
    ),
    Setting(
        "receipt_connection",
        str,
        "usb://04b8:0e28",
        "Receipt printer address: usb://VID:PID, tcp://HOST:PORT, "
        "serial:///dev/ttyUSB0?baudrate=19200 or cups://QUEUE.",
    ),
    Setting(
        "receipt_profile",
        str,
        "TM-T20II",
        "python-escpos printer profile (sets the paper width in dots).",
    ),
    Setting(
        "receipt_paper_mm",
        int,
        80,
        "Paper width in mm (58 or 80), used when the profile does not give one.",
    ),
    Setting("document_printer", str, "cups", "A4 printer adapter.", registry.DOCUMENT_PRINTERS),
    Setting("cups_queue", str, "", "CUPS queue for A4 printing; empty = the CUPS default."),
    Setting("card_reader", str, "pcsc", "Smart card reader adapter.", registry.CARD_READERS),
    Setting(
        "card_reader_name", str, "", "Part of the PC/SC reader name to use; empty = first reader."
    ),
    Setting("panel", str, "gpiozero", "GPIO status panel adapter.", registry.PANELS),
    Setting("pin_led_ready", int, 17, "BCM pin of the power/ready LED."),
    Setting("pin_led_network", int, 27, "BCM pin of the network LED."),
    Setting("pin_led_queue", int, 22, "BCM pin of the upload-queue LED."),
    Setting("pin_buzzer", int, 23, "BCM pin of the buzzer."),
    Setting("pin_button", int, 24, "BCM pin of the push button (to ground; internal pull-up)."),
    Setting(
        "required_devices",
        str,
        "scanner,document_printer",
        "Comma-separated devices whose self-test failure makes `selftest` exit non-zero "
        "(scanner, receipt_printer, document_printer, card_reader, panel).",
    ),
    Setting(
        "min_free_mb",
        int,
        512,
        "Self-test fails when the data directory has less free space than this (MiB).",
    ),
    Setting("upload_adapter", str, "tus", "How documents are sent: tus to a collector.", ("tus",)),
    Setting(
        "upload_endpoint",
        str,
        "",
        "Override of the TPS profile's collector URL (tus creation URL, e.g. for a bimtek "
        "room); empty = the profile's [upload] endpoint.",
    ),
    Setting(
        "upload_chunk_kb", int, 512, "Size of one upload chunk (KiB); resumes lose at most one."
    ),
    Setting(
        "upload_timeout_s", int, 30, "Seconds one upload request may take before it is retried."
    ),
    Setting(
        "upload_probe_s",
        int,
        5,
        "While documents wait for the network, look for it this often (s).",
    ),
    Setting("upload_backoff_base_s", int, 5, "First retry delay ceiling (s); doubles per attempt."),
    Setting("upload_backoff_cap_s", int, 600, "Longest wait between two attempts (s)."),
    Setting(
        "upload_receipt",
        str,
        "receipt",
        "What confirms a document once the server has all its bytes: `receipt` = the "
        "collector's receipt (its hash, `GET /receipts/<key>`), asked for with backoff; "
        "`tus_completion` = the completed tus upload itself, for a server without a receipt "
        "route. A delivered document is never sent again in either mode.",
        ("receipt", "tus_completion"),
    ),
    Setting(
        "usb_export_root",
        Path,
        Path("/media/tps-kiosk"),
        "USB drives are mounted below this folder; each mount point is offered for USB export.",
    ),
    Setting(
        "provision_file",
        Path,
        Path("/boot/firmware/tps-kiosk-provision.json"),
        "Signed provisioning file that `tps-kiosk firstboot` installs when no profile is "
        "installed yet; deleted after the install (it holds the PINs).",
    ),
    Setting(
        "provisioning_keys",
        Path,
        Path("/etc/tps-kiosk/provisioning-keys"),
        "Folder of trusted provisioning public keys (`*.pub`, PEM) that a provisioning file "
        "must be signed with.",
    ),
    Setting("idle_timeout_min", int, 15, "Log the officer out after this many idle minutes."),
    Setting("session_max_hours", int, 12, "Log the officer out this many hours after login."),
    Setting("pin_attempts", int, 5, "Wrong PINs in a row before the officer is locked out."),
    Setting(
        "lockout_s",
        int,
        60,
        "First lockout in seconds; each further lockout of the same officer doubles it.",
    ),
    Setting("log_level", str, "INFO", "Logging level.", ("DEBUG", "INFO", "WARNING", "ERROR")),
)

_BY_NAME = {s.name: s for s in DECLARED}


def _parse(setting: Setting, raw: Any, source: str) -> Any:
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


@dataclass(frozen=True)
class Settings:
    """The loaded settings. Build with ``load()`` or ``Settings.from_values()``."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in _BY_NAME:
            return self.values.get(name, _BY_NAME[name].default)
        raise AttributeError(name)

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
        )

    @property
    def required(self) -> frozenset[str]:
        return frozenset(p.strip() for p in str(self.required_devices).split(",") if p.strip())


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
