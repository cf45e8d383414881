"""Checking the kiosk's systemd units with the real systemd-analyze (no running systemd needed).

Used by tests/systemd (the fast check, every run, against a scratch root built here) and by
tests/image (the real check, against the built arm64 root file system):

- :func:`install_manifest` applies systemd/INSTALL to a root (the image build's own code,
  systemd/install.py);
- :func:`verify_units` runs ``systemd-analyze verify --root=ROOT`` on every unit the manifest
  installs or drops in on, and on the boot targets, with the root's fstab turned into mount
  units by the host's systemd-fstab-generator, so ordering cycles through /data show up;
- :func:`exposure` is ``systemd-analyze security --offline=true``'s overall figure;
- :func:`scratch_root` builds the fast check's root: the host's own unit files (Debian 12,
  the same systemd 252 as the image), the image's fstab, the payload, and stub executables
  wherever a unit names a program the host lacks (the kiosk venv, fake-hwclock).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO / "systemd"
UNIT_SUFFIXES = (".service", ".timer", ".target", ".socket", ".mount", ".path")
BOOT_TARGETS = ("multi-user.target", "graphical.target")
FSTAB_GENERATOR = Path("/usr/lib/systemd/system-generators/systemd-fstab-generator")

# The image's fstab (written by the image builder), for the scratch root.
IMAGE_FSTAB = """\
LABEL=BOOTFS /boot/firmware vfat defaults,uid=880,gid=880,fmask=0177,dmask=0077 0 2
LABEL=TPSDATA /data ext4 defaults,noatime,commit=5,x-systemd.growfs 0 2
"""

# Debian 12's fake-hwclock.service (package fake-hwclock 0.12+nmu1), which our drop-in
# extends; the scratch root needs it when the host does not have the package.
DEBIAN_FAKE_HWCLOCK_SERVICE = """\
[Unit]
Description=Restore / save the current clock
Documentation=man:fake-hwclock(8)
DefaultDependencies=no
Before=sysinit.target shutdown.target
Conflicts=shutdown.target

[Service]
EnvironmentFile=-/etc/default/fake-hwclock
ExecStart=/sbin/fake-hwclock load $FORCE
ExecStop=/sbin/fake-hwclock save
Type=oneshot
RemainAfterExit=yes

[Install]
WantedBy=sysinit.target
"""

_EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)")


def _load_installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tps_kiosk_systemd_install", SYSTEMD_DIR / "install.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


installer = _load_installer()


def install_manifest(root: Path) -> list[Path]:
    """Apply systemd/INSTALL to ``root`` (copy, chmod, enable): systemd/install.py's code."""
    made: list[Path] = installer.install_manifest(root)
    return made


def manifest_units() -> list[str]:
    """Units the manifest installs, then units it drops configuration in for (x.service.d)."""
    units, dropped_on = [], []
    for copy in installer.load_manifest().copies:
        dest = PurePosixPath(copy.dest)
        if dest.parent.name.endswith(".d") and dest.parent.name[:-2].endswith(UNIT_SUFFIXES):
            dropped_on.append(dest.parent.name[:-2])
        elif dest.name.endswith(UNIT_SUFFIXES) and "systemd/system" in str(dest.parent):
            units.append(dest.name)
    return units + sorted(set(dropped_on) - set(units))


def unit_settings(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [value, ...]}} (repeated keys kept in order)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path}: {line!r} outside any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not a KEY=VALUE line: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@contextmanager
def fstab_units(root: Path) -> Iterator[None]:
    """The mount units systemd-fstab-generator makes at boot from ROOT/etc/fstab, put into
    ROOT/run/systemd/system (a runtime unit folder that --root reads) while the block runs,
    and removed after: the image's /run is an empty mount point anyway."""
    fstab = root / "etc/fstab"
    target = root / "run/systemd/system"
    if not fstab.exists() or not FSTAB_GENERATOR.exists() or target.exists():
        yield
        return
    made = [p for p in (root / "run", root / "run/systemd") if not p.exists()]
    target.mkdir(parents=True)
    try:
        env = {**os.environ, "SYSTEMD_FSTAB": str(fstab), "SYSTEMD_PROC_CMDLINE": ""}
        subprocess.run(
            [str(FSTAB_GENERATOR), str(target), str(target), str(target)],
            env=env,
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield
    finally:
        shutil.rmtree(made[0] if made else target)


def verify_units(root: Path, units: Iterable[str] | None = None) -> list[str]:
    """Problems ``systemd-analyze verify --root=ROOT`` reports, one string per line it
    printed (unknown keys and bad values are only warnings, so any output is a problem),
    for each unit (default: the manifest's units plus the boot targets). Empty: all good."""
    names = list(units) if units is not None else [*manifest_units(), *BOOT_TARGETS]
    problems: list[str] = []
    with fstab_units(root):
        for name in names:
            result = subprocess.run(
                ["systemd-analyze", "verify", f"--root={root}", "--man=no", name],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""},
            )
            lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
            problems += [f"{name}: {line}" for line in lines]
            if result.returncode != 0 and not lines:
                problems.append(f"{name}: systemd-analyze verify exited {result.returncode}")
    return problems


def exposure(unit: str | Path, root: Path) -> float:
    """``systemd-analyze security --offline=true --root=ROOT UNIT``'s overall exposure
    (0.0 safest … 10.0). ``unit`` is a unit name, or a unit file's path."""
    result = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=true",
            f"--root={root}",
            "--no-pager",
            str(unit),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_COLORS": "0"},
    )
    found = _EXPOSURE.search(result.stdout)
    if found is None:
        raise AssertionError(f"no exposure figure for {unit}: {result.stdout}{result.stderr}")
    return float(found.group(1))


def exec_paths(root: Path) -> set[str]:
    """Every program an Exec*= line of the manifest's units (and drop-ins) starts."""
    programs: set[str] = set()
    for name in manifest_units():
        files = [installer.find_unit(root, name)]
        dropins = root / "etc/systemd/system" / f"{name}.d"
        files += [PurePosixPath("/", p.relative_to(root)) for p in sorted(dropins.glob("*.conf"))]
        for file in files:
            for section in unit_settings(installer.inside(root, file)).values():
                for key, values in section.items():
                    if key.startswith("Exec"):
                        for value in values:
                            words = value.lstrip("-@:+!|").split()
                            if words:  # an empty assignment (drop-ins) resets the list
                                programs.add(words[0])
    return programs


def scratch_root(root: Path) -> Path:
    """The fast check's root file system (see the module docstring)."""
    units = root / "usr/lib/systemd/system"
    units.parent.mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", units, symlinks=True)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/fstab").write_text(IMAGE_FSTAB)
    if not (units / "fake-hwclock.service").exists():
        (units / "fake-hwclock.service").write_text(DEBIAN_FAKE_HWCLOCK_SERVICE)
    install_manifest(root)
    for program in exec_paths(root):
        stub = installer.inside(root, PurePosixPath(program))
        if not stub.exists():
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\n# stand-in for the fast unit check\nexit 0\n")
            stub.chmod(0o755)
    return root
