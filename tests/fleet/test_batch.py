"""tps-kiosk fleet keygen and batch, as a technician runs them on the office PC."""

from __future__ import annotations

import csv
import io
import json
import tomllib

import pytest

from kiosk.fleet.envelope import FORMAT, open_envelope, profile_of
from kiosk.fleet.keys import load_trusted
from kiosk.fleet.sheet import REQUIRED
from kiosk.i18n import in_language
from kiosk.profile import without_pins
from tests.fleet.helpers import TEMPLATE, TEMPLATE_NAME, batch, code, row, write_csv


def pin_list(tmp_path, out="out"):
    (path,) = (tmp_path / out).glob("daftar-pin-*.csv")
    text = path.read_bytes().decode("utf-8-sig")
    sep = max(";,\t", key=text.splitlines()[0].count)  # the batch keeps the input's separator
    return path, list(csv.DictReader(io.StringIO(text), delimiter=sep))


def test_keygen_writes_a_private_key_for_the_owner_only_and_a_pub_for_the_image(fleet, tmp_path):
    code_, out, _ = fleet("keygen", tmp_path / "kpu.pem")
    assert code_ == 0
    assert (tmp_path / "kpu.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "kpu.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    (fp,) = load_trusted(tmp_path / "kpu.pub").keys
    assert f"Sidik jari: {fp}" in out
    again, _, err = fleet("keygen", tmp_path / "kpu.pem")
    assert again == 2 and "sudah ada" in err


def test_good_csv_gives_one_signed_file_per_tps_and_a_private_pin_list(
    fleet, tmp_path, office_key, templates
):
    _, pub = office_key
    csv_path = write_csv(tmp_path / "tps.csv", [row(0), row(1, operator_sirekap="")])
    exit_code, out, _ = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 0, out
    assert "2 berkas provisioning ditulis" in out and "0 baris ditolak" in out
    trusted = load_trusted(pub).keys
    pins_path, pins = pin_list(tmp_path)
    assert pins_path.stat().st_mode & 0o777 == 0o600
    for i in (0, 1):
        signed = tmp_path / "out" / f"{code(i)}.json"
        assert signed.stat().st_mode & 0o777 == 0o600  # it holds the PINs
        assert json.loads(signed.read_text())["format"] == FORMAT
        opened = open_envelope(signed.read_bytes(), trusted)
        profile = profile_of(opened)
        assert profile.identity.code == opened.tps == code(i)
        assert profile.identity.village == f"Kelurahan Sukamaju {i}"
        assert (profile.dpt_l, profile.dpt_p, profile.election) == (140, 139, "pemilu")
        assert [b.type for b in profile.ballots] == ["PPWP", "DPR"]
        roster = {o.id: (o.name, o.role.value, o.pin) for o in profile.officers}
        assert list(roster) == [*(f"kpps{n}" for n in range(1, 8)), "teknisi"]
        assert roster["kpps1"][:2] == ("Siti Aminah", "ketua")
        listed = {p["petugas"]: p["pin"] for p in pins if p["kode_tps"] == code(i)}
        assert listed == {oid: pin for oid, (_, _, pin) in roster.items()}
        assert all(len(p) == 6 and p[0] != "0" for p in listed.values())
        assert len(set(listed.values())) == len(listed)
        # the template's election-wide part is there verbatim; the kiosk keeps it without PINs
        assert 'endpoint = "https://collector.example.go.id/files/"' in opened.profile_text
        assert "pin" not in tomllib.loads(without_pins(opened.profile_text))["officers"][0]
    first = {o.id: o.role.value for o in profile_of(_opened(tmp_path, trusted, 0)).officers}
    second = {o.id: o.role.value for o in profile_of(_opened(tmp_path, trusted, 1)).officers}
    assert (first["kpps4"], first["kpps5"], first["kpps2"]) == ("operator", "operator", "anggota")
    assert second["kpps4"] == "anggota"
    assert (tmp_path / "out").glob("laporan-*.txt")


def _opened(tmp_path, trusted, i):
    return open_envelope((tmp_path / "out" / f"{code(i)}.json").read_bytes(), trusted)


@pytest.mark.parametrize(
    ("sep", "bom"), [(";", False), (";", True), (",", False), (",", True), ("\t", False)]
)
def test_semicolon_comma_and_bom_spreadsheets_read_the_same(
    fleet, tmp_path, office_key, templates, sep, bom
):
    # Names with a comma and a semicolon in them: the spreadsheet quotes those cells.
    rows = [row(0, ketua="Siti Aminah, S.Pd.", anggota_2="Budi; Santoso"), row(1)]
    csv_path = write_csv(tmp_path / "tps.csv", rows, sep=sep, bom=bom)
    exit_code, out, _ = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 0, out
    profile = profile_of(_opened(tmp_path, load_trusted(office_key[1]).keys, 0))
    assert [o.name for o in profile.officers[:2]] == ["Siti Aminah, S.Pd.", "Budi; Santoso"]
    _, pins = pin_list(tmp_path)
    assert pins[0]["nama"] == "Siti Aminah, S.Pd." and len(pins) == 16


def test_headers_as_people_type_them_are_understood(fleet, tmp_path, office_key, templates):
    header = (
        "Kode TPS",
        "Provinsi",
        "Kabupaten/Kota",
        "Kecamatan",
        "Kelurahan/Desa",
        "DPT L",
        "DPT P",
        "Profil",
        "Ketua",
        *(f"Anggota {n}" for n in range(2, 8)),
        "Catatan",
    )
    keys = [*REQUIRED, "catatan"]
    text = ";".join(header) + "\r\n"
    text += ";".join(row(0, catatan="kotak suara di balai desa").get(k, "") for k in keys)
    (tmp_path / "tps.csv").write_text(text + "\r\n", encoding="utf-8")
    exit_code, out, _ = batch(fleet, tmp_path, templates, tmp_path / "tps.csv")
    assert exit_code == 0, out
    assert "Kolom diabaikan: catatan" in out
    assert (tmp_path / "out" / f"{code(0)}.json").exists()


def test_every_bad_row_gets_its_own_messages_and_good_rows_are_still_written(
    fleet, tmp_path, office_key, templates
):
    rows = [
        row(0),
        row(1, kode_tps="647401000100"),  # 12 digits
        row(2, kode_tps="6.47401E+12"),  # what Excel does to a number column
        row(3, kode_tps="6474010001000"),  # TPS 000
        row(4, dpt_l="seratus", dpt_p="1200"),
        row(5, ketua="", kelurahan_desa=""),
        row(6, operator_sirekap="4 9"),
        row(7, operator_sirekap="2 3 4"),
        row(8, operator_sirekap="5", anggota_5=""),
        row(9, profil=""),
        row(10),
    ]
    csv_path = write_csv(tmp_path / "tps.csv", rows)
    exit_code, out, _ = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 1
    errors = [line for line in out.splitlines() if line.startswith("baris ")]
    assert errors == [
        "baris 3 (kode 647401000100): kode_tps: harus 13 angka: 10 angka kode desa/kelurahan"
        " + 3 angka nomor TPS",
        "baris 4 (kode 6.47401E+12): kode_tps: Excel mengubah kode menjadi angka;"
        " format kolom sebagai Teks, ketik ulang",
        "baris 5 (kode 6474010001000): kode_tps: nomor TPS (3 angka terakhir) tidak boleh 000",
        f"baris 6 (kode {code(4)}): dpt_l: harus bilangan bulat dari 0 sampai 1000",
        f"baris 6 (kode {code(4)}): dpt_p: harus bilangan bulat dari 0 sampai 1000",
        f"baris 7 (kode {code(5)}): ketua: wajib diisi: nama Ketua KPPS",
        f"baris 7 (kode {code(5)}): kelurahan_desa: wajib diisi (teks)",
        f"baris 8 (kode {code(6)}): operator_sirekap: nomor anggota KPPS 2 sampai 7, misalnya 4 5",
        f"baris 9 (kode {code(7)}): operator_sirekap: paling banyak 2 operator Sirekap",
        f"baris 10 (kode {code(8)}): operator_sirekap: anggota 5 dipilih tetapi namanya kosong",
        f"baris 11 (kode {code(9)}): profil: wajib diisi: nama templat profil",
    ]
    assert "2 berkas provisioning ditulis" in out and "9 baris ditolak" in out
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert written == [f"{code(0)}.json", f"{code(10)}.json"]
    _, pins = pin_list(tmp_path)
    assert {p["kode_tps"] for p in pins} == {code(0), code(10)}
    (report,) = (tmp_path / "out").glob("laporan-*.txt")
    assert all(e in report.read_text() for e in errors)


def test_duplicate_codes_are_refused_on_every_row_that_has_them(
    fleet, tmp_path, office_key, templates
):
    rows = [row(0), row(1), row(2, kode_tps=code(0)), row(3, kode_tps=code(0))]
    exit_code, out, _ = batch(fleet, tmp_path, templates, write_csv(tmp_path / "t.csv", rows))
    assert exit_code == 1
    assert f"baris 2 (kode {code(0)}): kode_tps: kode sama dengan baris 4, 5" in out
    assert f"baris 4 (kode {code(0)}): kode_tps: kode sama dengan baris 2, 5" in out
    assert f"baris 5 (kode {code(0)}): kode_tps: kode sama dengan baris 2, 4" in out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == [f"{code(1)}.json"]


def test_unknown_and_broken_templates(fleet, tmp_path, office_key, templates):
    (templates / "rusak.toml").write_text(
        'election = "pemilu"\nelection_date = 2024-02-14\nreserve_percent = 2.0\n'
        '[upload]\nendpoint = "ftp://x"\ntoken = "token-untuk-uji-coba-0001"\n'
        '[[ballots]]\ntype = "GUBERNUR"\ncandidates = ["01"]\n'
    )
    (templates / "lebih.toml").write_text('code = "6474010001001"\n')
    rows = [
        row(0, profil="tidak-ada"),
        row(1, profil="rusak"),
        row(2, profil="rusak.toml"),
        row(3, profil="lebih.toml"),
        row(4, profil="../profil/dapil-kaltim-1"),
        row(5, profil=TEMPLATE_NAME.removesuffix(".toml")),
    ]
    exit_code, out, _ = batch(fleet, tmp_path, templates, write_csv(tmp_path / "t.csv", rows))
    assert exit_code == 1
    lines = out.splitlines()
    assert (
        f"baris 2 (kode {code(0)}): profil: templat tidak-ada.toml tidak ada di {templates}"
        in lines
    )
    assert (
        f"baris 3 (kode {code(1)}): profil: templat rusak.toml ditolak (kesalahan templat di atas)"
        in lines
    )
    assert (
        f"baris 4 (kode {code(2)}): profil: templat rusak.toml ditolak (kesalahan templat di atas)"
        in lines
    )
    # The template's own problems are told once, with the template's line numbers.
    assert [line for line in lines if line.startswith("templat rusak.toml: ")] == [
        "templat rusak.toml: baris 5, upload.endpoint: harus alamat URL server penerima (https://...)",
        "templat rusak.toml: baris 8, ballots[0].type: harus salah satu dari PPWP, DPR, DPD,"
        " DPRD_PROV, DPRD_KAB untuk pemilihan ini",
    ]
    assert any(
        line.startswith("templat lebih.toml: hanya boleh berisi election,") and "code" in line
        for line in lines
    )
    assert f"baris 6 (kode {code(4)}): profil: nama templat" in out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == [f"{code(5)}.json"]


def test_a_bad_header_is_refused_with_what_is_missing_and_nothing_is_written(
    fleet, tmp_path, office_key, templates
):
    header = tuple(c for c in REQUIRED if c not in ("dpt_p", "anggota_7"))
    csv_path = write_csv(tmp_path / "t.csv", [row(0)], header=(*header, "ketua"))
    exit_code, _, err = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 2
    assert "kolom wajib tidak ada: dpt_p, anggota_7" in err
    assert "kolom muncul dua kali: ketua" in err
    assert "Tidak ada berkas yang ditulis" in err
    assert not (tmp_path / "out").exists()


def test_a_spreadsheet_not_saved_as_utf8_is_refused_clearly(fleet, tmp_path, office_key, templates):
    csv_path = write_csv(tmp_path / "t.csv", [row(0, ketua="Siti Aminah")])
    csv_path.write_bytes(csv_path.read_bytes().replace(b"Siti", "Sïti".encode("cp1252")))
    exit_code, _, err = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 2 and "bukan UTF-8" in err and "CSV UTF-8" in err


def test_missing_key_or_template_folder_is_a_usage_error(fleet, tmp_path, office_key, templates):
    csv_path = write_csv(tmp_path / "t.csv", [row(0)])
    exit_code, _, err = fleet(
        "batch",
        csv_path,
        "--key",
        tmp_path / "nope.pem",
        "--profiles",
        templates,
        "--out",
        tmp_path,
    )
    assert exit_code == 2 and "nope.pem" in err
    exit_code, _, err = fleet(
        "batch",
        csv_path,
        "--key",
        tmp_path / "keys" / "kpu-kota.pem",
        "--profiles",
        tmp_path / "none",
        "--out",
        tmp_path,
    )
    assert exit_code == 2 and "folder templat profil tidak ada" in err


def test_a_second_batch_never_overwrites_the_first_pin_list(fleet, tmp_path, office_key, templates):
    csv_path = write_csv(tmp_path / "t.csv", [row(0)])
    assert batch(fleet, tmp_path, templates, csv_path)[0] == 0
    assert batch(fleet, tmp_path, templates, csv_path)[0] == 0
    assert len(list((tmp_path / "out").glob("daftar-pin-*.csv"))) == 2


def test_a_thousand_rows_all_become_valid_signed_files(fleet, tmp_path, office_key, templates):
    rows = [row(i) for i in range(1000)]
    exit_code, out, _ = batch(fleet, tmp_path, templates, write_csv(tmp_path / "t.csv", rows))
    assert exit_code == 0, out
    assert "1000 berkas provisioning ditulis" in out
    files = sorted((tmp_path / "out").glob("*.json"))
    assert [f.stem for f in files] == sorted(code(i) for i in range(1000))
    _, pins = pin_list(tmp_path)
    assert len(pins) == 8000
    trusted = load_trusted(office_key[1]).keys
    with in_language("id"):
        for f in files[::97]:
            assert profile_of(open_envelope(f.read_bytes(), trusted)).identity.code == f.stem


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_rows_with_other_digits_control_characters_or_huge_cells_are_refused_by_column(
    fleet, tmp_path, office_key, templates
):
    rows = [
        row(0, kode_tps=code(0).translate(FULLWIDTH)),
        row(1, operator_sirekap="٤ ٥"),
        row(2, ketua="Siti\x00Aminah"),
        row(3, anggota_2="Budi\x7fSantoso"),
        row(4, kelurahan_desa="Sukamaju " * 1_000),
        row(5, ketua="Siti\u202eAminah"),
        row(6),
    ]
    exit_code, out, _ = batch(fleet, tmp_path, templates, write_csv(tmp_path / "t.csv", rows))
    assert exit_code == 1
    lines = out.splitlines()

    def told(n: int, column: str, words: str) -> bool:
        return any(
            line.startswith(f"baris {n + 2} (kode ") and f": {column}: " in line and words in line
            for line in lines
        )

    assert told(0, "kode_tps", "harus 13 angka"), out
    assert told(1, "operator_sirekap", "angka 0-9"), out
    assert told(2, "ketua", "karakter kendali"), out
    assert told(3, "anggota_2", "karakter kendali"), out
    assert told(4, "kelurahan_desa", "terlalu panjang"), out[:3000]
    assert told(5, "ketua", "karakter kendali"), out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == [f"{code(6)}.json"]


def test_a_template_nested_too_deep_or_with_a_misspelled_key_is_refused(
    fleet, tmp_path, office_key, templates
):
    deep = TEMPLATE.replace(
        'candidates = ["Paslon 01", "Paslon 02", "Paslon 03"]',
        "candidates = " + "[" * 50_000 + "]" * 50_000,
    )
    (templates / "dalam.toml").write_text(deep)
    (templates / "salah.toml").write_text(TEMPLATE.replace("token =", "tokn ="))
    (templates / "utf16.toml").write_bytes(TEMPLATE.encode("utf-16"))
    rows = [row(0, profil="dalam"), row(1, profil="salah"), row(2, profil="utf16"), row(3)]
    exit_code, out, err = batch(fleet, tmp_path, templates, write_csv(tmp_path / "t.csv", rows))
    assert exit_code == 1 and "Traceback" not in out + err
    deep_line = next(n for n, t in enumerate(deep.splitlines(), 1) if "[[[[" in t)
    lines = out.splitlines()
    assert (
        f"templat dalam.toml: baris {deep_line}, ballots[0].candidates: daftar [ ] atau tabel {{ }}"
        " bersarang terlalu dalam (lebih dari 4 tingkat)" in lines
    ), out[:3000]
    assert any(
        line.startswith("templat salah.toml: baris ")
        and "upload.tokn: kunci tidak dikenal tokn — maksud Anda token?" in line
        for line in lines
    ), out
    assert any(line.startswith("templat utf16.toml: ") and "UTF-16" in line for line in lines)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == [f"{code(3)}.json"]


def test_a_spreadsheet_with_a_1_mb_cell_is_refused_without_a_traceback(
    fleet, tmp_path, office_key, templates
):
    csv_path = write_csv(tmp_path / "t.csv", [row(0), row(1, ketua="Siti " * 200_000)])
    exit_code, _, err = batch(fleet, tmp_path, templates, csv_path)
    assert exit_code == 2 and "Traceback" not in err
    assert "baris 3: sel terlalu panjang" in err
    assert not (tmp_path / "out").exists()
