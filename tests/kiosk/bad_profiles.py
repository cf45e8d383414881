"""A corpus of bad TPS profile files, as technicians, spreadsheets, editors and fuzzers make them.

Each case is the file's bytes (or a missing file / a folder), the field the refusal must name,
the line it must name (None where the problem has no line: size, encoding of the whole file) and
a few words the Bahasa Indonesia message must hold. Used by tests/unit/test_profile.py (the
parser) and tests/kiosk/test_provision_cli.py (``tps-kiosk provision`` as a technician runs it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.tps import SAMPLE_PROFILE

SAMPLE = SAMPLE_PROFILE.read_text(encoding="utf-8")
MISSING = b"<missing>"
FOLDER = b"<folder>"
SPARSE_60MB = b"<60 MB>"


@dataclass(frozen=True)
class Bad:
    name: str
    data: bytes  # the file's bytes, or MISSING / FOLDER / SPARSE_60MB
    field: str  # the field the refusal names
    line: int | None  # the line it names; None: a problem of the whole file
    words: str  # what the Bahasa message must contain

    def write(self, path: Path) -> Path:
        """Put this case at ``path`` (a file, nothing, a folder or a sparse 60 MB file)."""
        if self.data == FOLDER:
            path.mkdir()
        elif self.data == SPARSE_60MB:
            with path.open("wb") as fh:
                fh.write(SAMPLE.encode())
                fh.truncate(60 * 1024 * 1024)  # sparse: cheap to make, as big to the kiosk
        elif self.data != MISSING:
            path.write_bytes(self.data)
        return path


def sub(old: str, new: str, occurrence: int = 1, text: str = SAMPLE) -> str:
    parts = text.split(old)
    assert len(parts) > occurrence, old
    return old.join(parts[:occurrence]) + new + old.join(parts[occurrence:])


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def case(name: str, text: str, field: str, needle: str | None, words: str, nth: int = 1) -> Bad:
    """A bad UTF-8 profile; the named line is the ``nth`` line holding ``needle``."""
    line = line_of(text, needle, nth) if needle is not None else None
    return Bad(name, text.encode("utf-8"), field, line, words)


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
CODE = 'code = "6474010001005"'
OFFICER_0 = 'name = "Siti Aminah"'
UPLOAD = (
    '[upload]\nendpoint = "http://127.0.0.1:8081/files/"\ntoken = "simulasi-bukan-rahasia-000"\n'
)
DEEP_ARRAY = sub(
    'candidates = ["Calon 1", "Calon 2", "Calon 3", "Calon 4"]',
    "candidates = " + "[" * 50_000 + "]" * 50_000,
)
DEEP_TABLE = sub(
    "allow_pin_only = true", "allow_pin_only = true\nextra = " + "{a = " * 5000 + "1" + "}" * 5000
)
MANY_OFFICERS = SAMPLE + "".join(
    f'\n[[officers]]\nid = "anggota{n}"\nname = "Anggota {n}"\nrole = "anggota"\npin = "{n:06d}"\n'
    for n in range(100, 160)
)
MANY_KEYS = sub("[upload]", "".join(f"k{n} = 1\n" for n in range(300_000)) + "[upload]")

CORPUS: list[Bad] = [
    # Digits that are not 0-9: the keypad cannot type them, the collector must not see them.
    case(
        "fullwidth code",
        sub(CODE, 'code = "6474010001005"'.translate(FULLWIDTH)),
        "code",
        "code =",
        "0-9",
    ),
    case(
        "arabic-indic code",
        sub(CODE, CODE.translate(ARABIC_INDIC)),
        "code",
        "code =",
        "0-9",
    ),
    case(
        "arabic-indic pin",
        sub('pin = "222222"', 'pin = "222222"'.translate(ARABIC_INDIC)),
        "officers[1].pin",
        "pin =",
        "0-9",
        2,
    ),
    case(
        "devanagari pin",
        sub('pin = "111111"', 'pin = "111111"'.translate(DEVANAGARI)),
        "officers[0].pin",
        "pin =",
        "0-9",
    ),
    case(
        "code with a newline",
        sub(CODE, r'code = "6474010001005\n"'),
        "code",
        "code =",
        "karakter kendali",
    ),
    case(
        "pin with a newline",
        sub('pin = "222222"', r'pin = "222222\n"'),
        "officers[1].pin",
        'pin = "222222',
        "karakter kendali",
    ),
    # Keys the kiosk does not know are a typo, never silently nothing.
    case(
        "misspelled allow_pin_only",
        sub("allow_pin_only = true", "alow_pin_only = true"),
        "alow_pin_only",
        "alow_pin_only",
        "kunci tidak dikenal alow_pin_only — maksud Anda allow_pin_only?",
    ),
    case(
        "misspelled card_uid",
        sub('card_uid = "04A1B2C3D4E5F6"', 'card_uuid = "04A1B2C3D4E5F6"'),
        "officers[0].card_uuid",
        "card_uuid",
        "maksud Anda card_uid?",
    ),
    case(
        "misspelled upload token",
        sub('token = "simulasi-bukan-rahasia-000"', 'tokne = "simulasi-bukan-rahasia-000"'),
        "upload.tokne",
        "tokne",
        "maksud Anda token?",
    ),
    case(
        "unknown table",
        SAMPLE + '\n[printer]\nmodel = "TM-T20II"\n',
        "printer",
        "[printer]",
        "kunci tidak dikenal printer",
    ),
    case(
        "misspelled party key",
        sub('name = "Partai Contoh B"', 'nama = "Partai Contoh B"'),
        "ballots[1].parties[1].nama",
        "nama =",
        "maksud Anda name?",
    ),
    # Control characters, however they get in.
    case(
        "NUL escape in a name",
        sub(OFFICER_0, r'name = "Siti\u0000Aminah"'),
        "officers[0].name",
        "Siti",
        "karakter kendali",
    ),
    case(
        "escape character in a village",
        sub('village = "Kelurahan Sukamaju"', r'village = "Kelurahan \u001b[2JSukamaju"'),
        "village",
        "village =",
        "karakter kendali",
    ),
    case(
        "right-to-left override in a candidate",
        sub('"Paslon 02"', r'"Paslon \u202e20"'),
        "ballots[0].candidates",
        "Paslon",
        "karakter kendali",
    ),
    case(
        "tab in a party name",
        sub('name = "Partai Contoh A"', r'name = "Partai\tContoh A"'),
        "ballots[1].parties[0].name",
        "Partai\\t",
        "karakter kendali",
    ),
    Bad(
        "NUL byte in the file",
        sub(OFFICER_0, 'name = "Siti\0Aminah"').encode(),
        "berkas",
        line_of(SAMPLE, OFFICER_0),
        "bukan berkas teks",
    ),
    # Sizes: a profile is a few KB.
    case(
        "1 MB name",
        sub(OFFICER_0, f'name = "{"A" * 1_000_000}"'),
        "berkas",
        None,
        "terlalu besar",
    ),
    case(
        "300-character village",
        sub('village = "Kelurahan Sukamaju"', f'village = "{"Sukamaju " * 33}"'),
        "village",
        "village =",
        "terlalu panjang",
    ),
    case(
        "10,000-character token",
        sub('token = "simulasi-bukan-rahasia-000"', f'token = "{"t" * 10_000}"'),
        "upload.token",
        "token =",
        "terlalu panjang",
    ),
    case("300,000 keys", MANY_KEYS, "berkas", None, "terlalu besar"),
    case("60 more officers", MANY_OFFICERS, "officers", "[[officers]]", "terlalu banyak"),
    case(
        "1,000 candidates",
        sub(
            '["Calon 1", "Calon 2", "Calon 3", "Calon 4"]',
            "[" + ", ".join(f'"Calon {n}"' for n in range(1000)) + "]",
        ),
        "ballots[2].candidates",
        '"Calon 999"',
        "terlalu banyak",
    ),
    Bad("60 MB file", SPARSE_60MB, "berkas", None, "terlalu besar"),
    # Encodings and things that are no profile file at all.
    Bad(
        "latin-1 (not UTF-8)",
        sub('village = "Kelurahan Sukamaju"', 'village = "Désa Sukamaju"').encode("latin-1"),
        "berkas",
        line_of(SAMPLE, "village ="),
        "UTF-8",
    ),
    Bad("UTF-16 (Notepad 'Unicode')", SAMPLE.encode("utf-16"), "berkas", None, "UTF-16"),
    Bad("UTF-16 BE without BOM", SAMPLE.encode("utf-16-be"), "berkas", None, "bukan berkas teks"),
    Bad(
        "binary (PNG)",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "berkas",
        None,
        "bukan berkas teks",
    ),
    Bad("missing file", MISSING, "berkas", None, "tidak ada"),
    Bad("a folder", FOLDER, "berkas", None, "folder"),
    # Wrong types and shapes that crashed with a traceback.
    case(
        "parties as a list of names",
        sub(
            '[[ballots]]\ntype = "DPR"\n[[ballots.parties]]\nname = "Partai Contoh A"\n'
            'candidates = ["Calon A1", "Calon A2"]\n[[ballots.parties]]\nname = "Partai Contoh B"\n'
            'candidates = ["Calon B1", "Calon B2", "Calon B3"]\n',
            '[[ballots]]\ntype = "DPR"\nparties = ["A", "B"]\n',
        ),
        "ballots[1].parties[0]",
        'parties = ["A", "B"]',
        "[[ballots.parties]]",
    ),
    case(
        "role misspelled",
        sub('role = "operator"', 'rol = "operator"'),
        "officers[2].rol",
        "rol =",
        "maksud Anda role?",
    ),
    case(
        "unknown key in an inline table",
        sub(
            UPLOAD,
            'upload = {endpoint = "http://127.0.0.1:8081/files/", '
            'token = "simulasi-bukan-rahasia-000", proxy = "http://proxy"}\n',
        ),
        "upload.proxy",
        "upload = {",
        "kunci tidak dikenal proxy",
    ),
    case(
        "10,000-part dotted table",
        SAMPLE + "\n[" + ".".join(["a"] * 10_000) + "]\nb = 1\n",
        "a",
        "[a.a.a",
        "kunci tidak dikenal a",
    ),
    case(
        "20,000 unknown keys",
        sub("[upload]", "".join(f"k{n} = 1\n" for n in range(20_000)) + "[upload]"),
        "k0",
        "k0 =",
        "kunci tidak dikenal k0",
    ),
    case(
        "line separator in a name",
        sub(OFFICER_0, r'name = "Siti\u2028Aminah"'),
        "officers[0].name",
        "Siti",
        "karakter kendali",
    ),
    case(
        "DEL in a name",
        sub(OFFICER_0, r'name = "Siti\u007fAminah"'),
        "officers[0].name",
        "Siti",
        "karakter kendali",
    ),
    case(
        "C1 control in a district",
        sub('district = "Kecamatan Contoh"', r'district = "Kecamatan\u0085Contoh"'),
        "district",
        "district =",
        "karakter kendali",
    ),
    case(
        "election as a list",
        sub('election = "pemilu"', 'election = ["pemilu"]'),
        "election",
        "election =",
        "pemilu",
    ),
    case(
        "upload as text",
        sub(
            UPLOAD,
            'upload = "http://127.0.0.1:8081/files/"\n',
        ),
        "upload",
        "upload =",
        "tabel [upload]",
    ),
    case(
        "deeply nested array",
        DEEP_ARRAY,
        "ballots[2].candidates",
        "candidates = [[[",
        "terlalu dalam",
    ),
    case("deeply nested inline tables", DEEP_TABLE, "extra", "extra =", "terlalu dalam"),
    # A file Notepad saved: a BOM, then a syntax error; the error is told, not the BOM.
    Bad(
        "BOM and a broken line",
        ("\ufeff" + sub('village = "Kelurahan Sukamaju"', 'village = "Kelurahan')).encode(),
        "village",
        line_of(SAMPLE, "village ="),
        "tanda kutip",
    ),
]
