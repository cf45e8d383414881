"""The saved clock survives a power cut (issue 14, finding 10).

Debian 12's ``fake-hwclock save`` (0.12+nmu1) rewrites its file in place (``date > FILE``) and
never syncs: ext4 may commit the truncation (``commit=5`` on /data) before the new date's
block, so a power cut in the next seconds leaves an empty file, which the boot test saw as
"no clock file" after its cut. Every path that saves the clock — the clock-save unit's
``ExecStart=`` and fake-hwclock.service's ``ExecStop=`` (clean shutdown) — must write a
temporary file, fsync it, rename it over the old one, and fsync the folder that holds the name.

The check runs the very command a unit runs (the repository's file when systemd/INSTALL puts
it at that path, else the host's), with the unit's environment file but ``FILE`` in a scratch
folder, under Debian's strace, and reads the system calls it made.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from tests.stacks.require import missing_stack
from tests.systemd import units

SYSTEM = units.SYSTEMD_DIR / "system"
DEFAULTS = units.SYSTEMD_DIR / "default/fake-hwclock"
FORMAT = "%Y-%m-%d %H:%M:%S"  # fake-hwclock's, in UTC


@pytest.fixture(autouse=True)
def _strace() -> None:
    if shutil.which("strace") is None:
        missing_stack("strace is not installed (scripts/setup --test)")


_FSYNC = re.compile(r"^\d+\s+f(?:data)?sync\(\d+<(?P<path>[^>]*)>\)\s+=\s+0$")
_DIRFD = r"(?:(?:AT_FDCWD|\d+)(?:<[^>]*>)?, )?"
_RENAME = re.compile(
    rf'^\d+\s+rename(?:at2?)?\({_DIRFD}"(?P<src>[^"]*)", {_DIRFD}"(?P<dst>[^"]*)"'
    r"(?:, [\w|]+)?\)\s+=\s+0$"
)


@dataclass(frozen=True)
class Call:
    kind: str  # "fsync" or "rename"
    path: str  # the synced file or folder; the rename's source
    dest: str = ""  # the rename's destination


def save_command(unit: str, key: str) -> list[str]:
    """The last ``key=`` command of ``unit`` as the image has it: the unit file (ours in
    systemd/system, or Debian's fake-hwclock.service), then our drop-in, where an empty
    assignment resets the list as in systemd."""
    own = SYSTEM / unit
    base = own.read_text() if own.exists() else units.DEBIAN_FAKE_HWCLOCK_SERVICE
    texts = [base, *(p.read_text() for p in sorted((SYSTEM / f"{unit}.d").glob("*.conf")))]
    commands: list[str] = []
    for text in texts:
        for raw in text.splitlines():
            name, sep, value = raw.strip().partition("=")
            if sep and name.strip() == key:
                commands = [*commands, value.strip()] if value.strip() else []
    assert commands, f"{unit} has no {key}="
    return commands[-1].lstrip("-@:+!|").split()


def resolve(program: str) -> Path:
    """The program systemd would start in the image: the repository's file if systemd/INSTALL
    installs one at that path, else the host's (Debian's fake-hwclock, if installed)."""
    for copy in units.installer.load_manifest().copies:
        if copy.dest == PurePosixPath(program):
            return units.SYSTEMD_DIR / copy.source
    if Path(program).exists():
        return Path(program)
    pytest.fail(
        f"the unit runs {program}, which neither systemd/INSTALL installs nor this host has "
        "(Debian's fake-hwclock writes its file in place, with no fsync)"
    )


def unit_environment(clock_file: Path) -> dict[str, str]:
    """/etc/default/fake-hwclock as the units read it (EnvironmentFile=), FILE moved here."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    for raw in DEFAULTS.read_text().splitlines():
        name, sep, value = raw.strip().partition("=")
        if sep and not raw.lstrip().startswith("#"):
            env[name] = value
    env["FILE"] = str(clock_file)
    return env


def traced_save(command: list[str], clock_file: Path) -> tuple[list[Call], str]:
    """The fsyncs and renames the save made, and what it printed (the unit's journal)."""
    log = clock_file.parent.parent / "strace.log"
    program = resolve(command[0])
    done = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-y",  # file descriptors with their paths
            "-o",
            str(log),
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2",
            "-e",
            "signal=none",
            str(program),
            *command[1:],
        ],
        env=unit_environment(clock_file),
        cwd=clock_file.parent,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls: list[Call] = []
    for line in log.read_text().splitlines():
        if found := _FSYNC.match(line):
            calls.append(Call("fsync", found["path"]))
        elif found := _RENAME.match(line):
            src, dst = (os.path.join(clock_file.parent, found[k]) for k in ("src", "dst"))
            calls.append(Call("rename", os.path.normpath(src), os.path.normpath(dst)))
    return calls, done.stdout + done.stderr


def assert_durable(calls: list[Call], clock_file: Path) -> None:
    """A temporary file fsynced, renamed onto the clock file, then the folder fsynced."""
    renames = [i for i, c in enumerate(calls) if c.kind == "rename" and c.dest == str(clock_file)]
    assert renames, f"the clock file is not replaced by a rename: {calls}"
    at = renames[-1]
    temporary = calls[at].path
    assert Path(temporary).parent == clock_file.parent, "the temporary file is in the same folder"
    assert Call("fsync", temporary) in calls[:at], f"no fsync of {temporary} before its rename"
    assert Call("fsync", str(clock_file.parent)) in calls[at + 1 :], (
        f"no fsync of {clock_file.parent} after the rename: {calls}"
    )


def saved_time(clock_file: Path) -> dt.datetime:
    text = clock_file.read_text()
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return dt.datetime.strptime(text.strip(), FORMAT).replace(tzinfo=dt.UTC)


SAVE_PATHS = [
    pytest.param("tps-kiosk-clock-save.service", "ExecStart", id="timer"),
    pytest.param("fake-hwclock.service", "ExecStop", id="shutdown"),
]


@pytest.mark.parametrize(("unit", "key"), SAVE_PATHS)
def test_every_clock_save_fsyncs_the_new_file_before_its_rename_and_the_folder_after(
    tmp_path: Path, unit: str, key: str
) -> None:
    clock_file = tmp_path / "clock/fake-hwclock.data"
    clock_file.parent.mkdir()
    clock_file.write_text("2026-01-02 03:04:05\n")  # the build's seed
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    calls, output = traced_save(save_command(unit, key), clock_file)
    after = dt.datetime.now(dt.UTC)
    assert output == ""  # nothing to report: the old file was whole
    assert_durable(calls, clock_file)
    assert before <= saved_time(clock_file) <= after
    assert sorted(os.listdir(clock_file.parent)) == [clock_file.name], "no temporary file left"


def test_a_save_repairs_what_a_power_cut_left(tmp_path: Path) -> None:
    """An empty clock file (torn by Debian's in-place write) and a temporary file left by a cut
    before its rename: the next save writes a whole file and leaves nothing else behind."""
    clock_file = tmp_path / "clock/fake-hwclock.data"
    clock_file.parent.mkdir()
    clock_file.write_text("")
    (clock_file.parent / f"{clock_file.name}.new").write_text("2026-01")
    calls, output = traced_save(
        save_command("tps-kiosk-clock-save.service", "ExecStart"), clock_file
    )
    assert_durable(calls, clock_file)
    saved_time(clock_file)
    # The journal says so (the QEMU power-cut test counts these lines).
    assert "was missing, empty or unreadable" in output
    assert sorted(os.listdir(clock_file.parent)) == [clock_file.name]


def test_the_check_catches_a_save_without_fsync(tmp_path: Path) -> None:
    """The check has teeth: Debian's way (in place), a rename of an unsynced file, and a
    rename whose folder is not synced all fail it."""
    clock_file = tmp_path / "clock/fake-hwclock.data"
    new, folder = f"{clock_file}.new", str(clock_file.parent)
    in_place = [Call("fsync", str(clock_file))]
    rename = Call("rename", new, str(clock_file))
    no_file_sync = [rename, Call("fsync", folder)]
    no_folder_sync = [Call("fsync", new), rename]
    for calls in (in_place, no_file_sync, no_folder_sync):
        with pytest.raises(AssertionError):
            assert_durable(calls, clock_file)
