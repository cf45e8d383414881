"""Install the kiosk's systemd payload into a root file system, as systemd/INSTALL says.

    python3 systemd/install.py ROOT

The image build runs this on the build host against the root file system directory (before
the image is assembled); tests/systemd runs the same function against scratch roots. Standard
library only, no dependency on the kiosk package. The manifest format is described at the
top of systemd/INSTALL.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "INSTALL"

# Where enable looks for a unit inside the root (systemd's search order).
UNIT_DIRS = ("etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")
ENABLE_DIR = PurePosixPath("/etc/systemd/system")
INSTALL_LINKS = {"WantedBy": ".wants", "RequiredBy": ".requires"}


class ManifestError(ValueError):
    """A line of systemd/INSTALL that cannot be carried out; the message names the line."""


@dataclass(frozen=True)
class Copy:
    source: str  # relative to systemd/
    dest: PurePosixPath  # absolute, inside the image
    mode: int


@dataclass(frozen=True)
class Manifest:
    copies: tuple[Copy, ...]
    enable: tuple[str, ...]


def parse_manifest(text: str) -> Manifest:
    copies: list[Copy] = []
    enable: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0] == "enable" and len(fields) == 2:
            enable.append(fields[1])
        elif len(fields) == 3:
            source, dest, mode = fields
            if PurePosixPath(source).is_absolute() or ".." in PurePosixPath(source).parts:
                raise ManifestError(f"INSTALL:{number}: source must be inside systemd/: {source}")
            if not PurePosixPath(dest).is_absolute():
                raise ManifestError(f"INSTALL:{number}: destination must be absolute: {dest}")
            try:
                copies.append(Copy(source, PurePosixPath(dest), int(mode, 8)))
            except ValueError as exc:
                raise ManifestError(f"INSTALL:{number}: mode is not octal: {mode}") from exc
        else:
            raise ManifestError(f"INSTALL:{number}: expected 'SOURCE DEST MODE' or 'enable UNIT'")
    return Manifest(tuple(copies), tuple(enable))


def load_manifest(path: Path = MANIFEST) -> Manifest:
    return parse_manifest(path.read_text(encoding="utf-8"))


def inside(root: Path, path: PurePosixPath) -> Path:
    """``path`` (absolute in the image) as a path under ``root`` on the build host."""
    return root / path.relative_to("/")


def find_unit(root: Path, unit: str) -> PurePosixPath:
    """The unit's path inside the image (the first of systemd's unit folders that has it)."""
    for folder in UNIT_DIRS:
        if (root / folder / unit).is_file():
            return PurePosixPath("/", folder, unit)
    raise ManifestError(f"enable {unit}: no such unit in {root}")


def install_section(unit_file: Path) -> dict[str, list[str]]:
    """The [Install] section: each key with all its values (space-separated, repeatable)."""
    values: dict[str, list[str]] = {}
    in_install = False
    for raw in unit_file.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_install = line == "[Install]"
        elif in_install and "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).extend(value.split())
    return values


def enable(root: Path, unit: str) -> list[Path]:
    """Link ``unit`` into the .wants/.requires folders its [Install] section names, as
    ``systemctl enable`` does (absolute links, valid inside the image)."""
    path = find_unit(root, unit)
    section = install_section(inside(root, path))
    unsupported = set(section) - set(INSTALL_LINKS)
    if unsupported:
        raise ManifestError(f"enable {unit}: [Install] {sorted(unsupported)} not supported")
    if not section:
        raise ManifestError(f"enable {unit}: it has no [Install] section")
    made = []
    for key, suffix in INSTALL_LINKS.items():
        for target in section.get(key, []):
            link = inside(root, ENABLE_DIR / (target + suffix) / unit)
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(str(path))
            made.append(link)
    return made


def install_manifest(
    root: Path, manifest: Manifest | None = None, source: Path = HERE
) -> list[Path]:
    """Copy every file into ``root`` with its mode, then enable the units; the paths made."""
    manifest = manifest or load_manifest(source / "INSTALL")
    made: list[Path] = []
    for copy in manifest.copies:
        dest = inside(root, copy.dest)
        for parent in reversed(dest.parents):
            if not parent.exists():
                parent.mkdir(mode=0o755)
        shutil.copyfile(source / copy.source, dest)
        dest.chmod(copy.mode)
        made.append(dest)
    for unit in manifest.enable:
        made.extend(enable(root, unit))
    return made


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: python3 systemd/install.py ROOT\n")
        return 2
    root = Path(argv[0])
    if not root.is_dir():
        sys.stderr.write(f"install.py: {root} is not a directory\n")
        return 2
    try:
        made = install_manifest(root)
    except (ManifestError, OSError) as exc:
        sys.stderr.write(f"install.py: {exc}\n")
        return 1
    sys.stdout.write(f"installed {len(made)} files and links into {root}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
