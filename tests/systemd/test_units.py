"""The unit files, checked with the real systemd-analyze, systemd-sysusers and systemd-tmpfiles
of the host (Debian 12, systemd 252 like the image) against a scratch root.

This is the fast check, every run: the scratch root has the host's unit files, the image's
fstab and stub executables (tests/systemd/units.py). The real check runs the same
verify_units() against the built arm64 root file system (tests/image).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import settings as settings_mod
from tests.systemd import units

SYSTEM = units.SYSTEMD_DIR / "system"
UNIT_FILES = sorted(
    p
    for p in SYSTEM.rglob("*")
    if p.is_file() and (p.suffix in units.UNIT_SUFFIXES or p.suffix == ".conf")
)
EXPOSURE_GOAL = 3.0
NEVER = ("time-sync.target", "systemd-time-wait-sync", "network-online.target")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return units.scratch_root(tmp_path_factory.mktemp("rootfs"))


def settings_of(name: str) -> dict[str, dict[str, list[str]]]:
    return units.unit_settings(SYSTEM / name)


def test_every_unit_verifies_against_the_scratch_root(root):
    assert units.verify_units(root) == []


def test_verify_reports_an_ordering_cycle_through_the_data_partition(tmp_path):
    """The check has teeth: the grow step waiting for the worker, which needs /data mounted,
    is a cycle (through data.mount, which systemd-fstab-generator makes from the fstab)."""
    root = units.scratch_root(tmp_path / "root")
    grow = root / "etc/systemd/system/tps-kiosk-growdata.service"
    grow.write_text(
        grow.read_text().replace("[Service]", "After=tps-kiosk-worker.service\n[Service]")
    )
    problems = "\n".join(units.verify_units(root, ["multi-user.target"]))
    assert "Found ordering cycle" in problems
    assert "tps-kiosk-growdata.service" in problems
    assert not (root / "run").exists(), "the generated mount units are cleaned up"


def test_verify_sees_the_mount_units_of_the_images_fstab(root):
    assert units.verify_units(root, ["data.mount", "boot-firmware.mount"]) == []
    assert units.verify_units(root, ["no-such.mount"]) != []


def test_verify_reports_an_unknown_key(tmp_path):
    root = units.scratch_root(tmp_path / "root")
    web = root / "etc/systemd/system/tps-kiosk-web.service"
    web.write_text(web.read_text().replace("PrivateTmp=yes", "PrivateTemp=yes"))
    assert any("Unknown key 'PrivateTemp'" in p for p in units.verify_units(root, [web.name]))


@pytest.mark.parametrize("path", UNIT_FILES, ids=lambda p: p.name)
def test_nothing_waits_for_the_network_or_a_synchronised_clock(path):
    """An offline polling station never reaches time-sync.target or network-online.target:
    anything ordered after them would never start."""
    for section in units.unit_settings(path).values():
        for key, values in section.items():
            for value in values:
                assert not any(n in value for n in NEVER), f"{path.name}: {key}={value}"
                # Calendar timers acquire After=time-sync.target implicitly.
                assert key != "OnCalendar", f"{path.name}: use a monotonic timer"


HARDENING = {
    "User": "tps-kiosk",
    "ProtectSystem": "strict",
    "ReadWritePaths": None,
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "ProtectProc": "invisible",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "UMask": "0027",
    "RestrictAddressFamilies": None,
    "Type": "notify",
    "NotifyAccess": "main",
    "WatchdogSec": None,
    "Restart": "always",
    "RestartSec": "2",
}


@pytest.mark.parametrize("name", ["tps-kiosk-web.service", "tps-kiosk-worker.service"])
def test_web_and_worker_carry_the_hardening(name):
    service = settings_of(name)["Service"]
    for key, wanted in HARDENING.items():
        assert key in service, f"{name}: no {key}="
        if wanted is not None:
            assert service[key][0] == wanted, f"{name}: {key}={service[key]}"
    writable = " ".join(service["ReadWritePaths"]).split()
    assert writable[0] == "/data/tps-kiosk"
    assert set(writable) <= {"/data/tps-kiosk", "-/media/tps-kiosk"}
    assert settings_of(name)["Unit"]["RequiresMountsFor"] == ["/data/tps-kiosk"]


def test_web_reaches_exactly_its_hardware_and_only_loopback():
    service = settings_of("tps-kiosk-web.service")["Service"]
    assert "PrivateDevices" not in service
    assert service["DevicePolicy"] == ["closed"]
    assert sorted(service["DeviceAllow"]) == [
        "char-gpiochip rw",
        "char-usb rw",
        "char-usb_device rw",
    ]
    assert service["SupplementaryGroups"] == ["scanner lp gpio"]
    assert service["IPAddressDeny"] == ["any"]
    assert service["IPAddressAllow"] == ["localhost"]
    assert service["ExecStart"] == ["/opt/tps-kiosk/bin/tps-kiosk serve"]


def test_worker_has_no_devices_and_may_reach_the_internet():
    service = settings_of("tps-kiosk-worker.service")["Service"]
    assert service["PrivateDevices"] == ["yes"]
    assert service["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert "IPAddressDeny" not in service
    assert "SupplementaryGroups" not in service
    assert service["ExecStart"] == ["/opt/tps-kiosk/bin/tps-kiosk worker"]


@pytest.mark.parametrize(
    "name",
    [
        "tps-kiosk-web.service",
        "tps-kiosk-worker.service",
        "tps-kiosk-firstboot.service",
        "tps-kiosk-clock-save.service",
    ],
)
def test_exposure_is_at_most_3(root, name, record_property):
    figure = units.exposure(name, root)
    record_property("exposure", figure)
    assert figure <= EXPOSURE_GOAL


def test_exposure_needs_nothing_but_the_unit_file(tmp_path):
    """security --offline reads only the unit: a root holding just the file gives the same."""
    bare = tmp_path / "etc/systemd/system"
    bare.mkdir(parents=True)
    (bare / "tps-kiosk-web.service").write_bytes((SYSTEM / "tps-kiosk-web.service").read_bytes())
    assert units.exposure("tps-kiosk-web.service", tmp_path) <= EXPOSURE_GOAL


def test_ordering_of_the_boot():
    web, worker = settings_of("tps-kiosk-web.service"), settings_of("tps-kiosk-worker.service")
    first = settings_of("tps-kiosk-firstboot.service")
    browser = settings_of("tps-kiosk-browser.service")
    grow = settings_of("tps-kiosk-growdata.service")
    clock = units.unit_settings(SYSTEM / "fake-hwclock.service.d/tps-kiosk.conf")
    assert "tps-kiosk-firstboot.service" in " ".join(web["Unit"]["After"] + worker["Unit"]["After"])
    assert "tps-kiosk-web.service tps-kiosk-worker.service" in first["Unit"]["Before"][0]
    assert first["Service"]["ReadWritePaths"] == ["/data/tps-kiosk -/boot/firmware"]
    assert first["Service"]["User"] == ["tps-kiosk"]
    assert "tps-kiosk-web.service" in " ".join(browser["Unit"]["After"])
    assert grow["Unit"]["DefaultDependencies"] == ["no"]
    assert "data.mount" in " ".join(grow["Unit"]["Before"])
    assert grow["Unit"]["After"] == [r"dev-disk-by\x2dlabel-TPSDATA.device"]
    assert clock["Unit"]["RequiresMountsFor"] == ["/data"]
    assert "tps-kiosk-web.service" in " ".join(clock["Unit"]["Before"])
    target = settings_of("tps-kiosk.target")
    wanted = " ".join(target["Unit"]["Wants"]).split()
    assert sorted(wanted) == sorted(
        [
            "tps-kiosk-firstboot.service",
            "tps-kiosk-web.service",
            "tps-kiosk-worker.service",
            "tps-kiosk-browser.service",
            "tps-kiosk-clock-save.timer",
        ]
    )


def test_browser_unit_is_in_cages_shape():
    browser = settings_of("tps-kiosk-browser.service")
    unit, service = browser["Unit"], browser["Service"]
    assert unit["Conflicts"] == ["getty@tty1.service"]
    assert "/usr/bin/cage" in unit["ConditionPathExists"]
    assert "systemd-user-sessions.service plymouth-quit-wait.service" in unit["After"][0]
    for key, value in {
        "User": "tps-kiosk-screen",
        "PAMName": "login",
        "TTYPath": "/dev/tty1",
        "TTYReset": "yes",
        "TTYVHangup": "yes",
        "UtmpIdentifier": "tty1",
        "StandardInput": "tty-fail",
        "Restart": "always",
        "SendSIGKILL": "yes",
    }.items():
        assert service[key] == [value], key
    assert "WLR_LIBINPUT_NO_DEVICES=1" in service["Environment"]
    assert float(service["RestartSec"][0]) >= 2


# --- the manifest and the installer --------------------------------------------------------


def test_manifest_names_only_existing_files_and_installs_every_one():
    manifest = units.installer.load_manifest()
    sources = {c.source for c in manifest.copies}
    for source in sources:
        assert (units.SYSTEMD_DIR / source).is_file(), source
    shipped = {
        str(p.relative_to(units.SYSTEMD_DIR))
        for p in units.SYSTEMD_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped - sources == {"INSTALL", "install.py"}


def test_install_copies_with_modes_and_enables_like_systemctl(tmp_path):
    result = subprocess.run(
        [sys.executable, str(units.SYSTEMD_DIR / "install.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    launcher = tmp_path / "opt/tps-kiosk/bin/tps-kiosk-browser"
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755
    web = tmp_path / "etc/systemd/system/tps-kiosk-web.service"
    assert stat.S_IMODE(web.stat().st_mode) == 0o644
    assert web.read_bytes() == (SYSTEM / "tps-kiosk-web.service").read_bytes()
    wants = tmp_path / "etc/systemd/system/multi-user.target.wants/tps-kiosk.target"
    assert os.readlink(wants) == "/etc/systemd/system/tps-kiosk.target"
    grow = tmp_path / "etc/systemd/system/local-fs.target.wants/tps-kiosk-growdata.service"
    assert os.readlink(grow) == "/etc/systemd/system/tps-kiosk-growdata.service"
    # Running it again changes nothing and does not fail.
    assert units.install_manifest(tmp_path)


def test_install_refuses_a_bad_manifest_line():
    with pytest.raises(units.installer.ManifestError, match="INSTALL:2"):
        units.installer.parse_manifest("# fine\nsystem/x.service etc/x.service 0644\n")
    with pytest.raises(units.installer.ManifestError, match="octal"):
        units.installer.parse_manifest("a /b 0x9\n")


# --- users, folders, settings ----------------------------------------------------------------


def _passwd(root: Path) -> None:
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\nlp:x:7:\nvideo:x:44:\n")


def test_sysusers_makes_the_two_fixed_users_with_their_groups(tmp_path):
    _passwd(tmp_path)
    conf = units.SYSTEMD_DIR / "sysusers.d/tps-kiosk.conf"
    subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(conf)], check=True, capture_output=True
    )
    passwd = {
        ln.split(":")[0]: ln.split(":") for ln in (tmp_path / "etc/passwd").read_text().splitlines()
    }
    groups = {
        ln.split(":")[0]: ln.split(":") for ln in (tmp_path / "etc/group").read_text().splitlines()
    }
    assert passwd["tps-kiosk"][2:4] == ["880", "880"]
    assert passwd["tps-kiosk-screen"][2:4] == ["881", "881"]
    assert passwd["tps-kiosk"][6] == "/usr/sbin/nologin"
    for group in ("scanner", "lp", "gpio"):
        assert "tps-kiosk" in groups[group][3].split(","), group
    for group in ("video", "input", "render"):
        assert "tps-kiosk-screen" in groups[group][3].split(","), group


@pytest.mark.skipif(os.geteuid() != 0, reason="creating files owned by uid 880 needs root")
def test_tmpfiles_makes_the_data_folder_for_the_service_user(tmp_path):
    _passwd(tmp_path)
    subprocess.run(
        [
            "systemd-sysusers",
            f"--root={tmp_path}",
            str(units.SYSTEMD_DIR / "sysusers.d/tps-kiosk.conf"),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "systemd-tmpfiles",
            "--create",
            f"--root={tmp_path}",
            str(units.SYSTEMD_DIR / "tmpfiles.d/tps-kiosk.conf"),
        ],
        check=True,
        capture_output=True,
    )
    data = (tmp_path / "data/tps-kiosk").stat()
    assert (data.st_uid, data.st_gid, stat.S_IMODE(data.st_mode)) == (880, 880, 0o750)
    assert (tmp_path / "data/clock").is_dir()
    assert (tmp_path / "media/tps-kiosk").is_dir()


def test_kiosk_toml_is_valid_and_points_at_the_data_partition():
    settings = settings_mod.load(units.SYSTEMD_DIR / "kiosk.toml", environ={})
    assert str(settings.data_dir) == "/data/tps-kiosk"
    assert (settings.bind, settings.port) == ("127.0.0.1", 8080)
    for name in ("web", "worker", "firstboot"):
        env = settings_of(f"tps-kiosk-{name}.service")["Service"]["Environment"]
        assert "KIOSK_CONFIG=/etc/tps-kiosk/kiosk.toml" in env


def test_journal_stays_in_ram_and_the_clock_on_the_data_partition():
    journald = units.unit_settings(units.SYSTEMD_DIR / "journald.conf.d/tps-kiosk.conf")
    assert journald["Journal"] == {"Storage": ["volatile"], "RuntimeMaxUse": ["32M"]}
    default = (units.SYSTEMD_DIR / "default/fake-hwclock").read_text().splitlines()
    assert "FILE=/data/clock/fake-hwclock.data" in default
    save = settings_of("tps-kiosk-clock-save.service")["Service"]
    # Not `fake-hwclock save`, which rewrites the file in place, unsynced (test_clock_save.py).
    assert save["ExecStart"] == ["/opt/tps-kiosk/bin/tps-kiosk-clock-save"]
    assert save["EnvironmentFile"] == ["/etc/default/fake-hwclock"]
    timer = settings_of("tps-kiosk-clock-save.timer")["Timer"]
    # The first save as the kiosk starts, not 5 minutes after boot (test_container.py).
    assert (timer["OnActiveSec"], timer["OnUnitActiveSec"]) == (["0"], ["5min"])
