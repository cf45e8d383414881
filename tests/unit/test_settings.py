from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import settings as s

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_safe():
    loaded = s.load(environ={})
    assert loaded.bind == "127.0.0.1"
    assert loaded.port == 8080
    assert loaded.language == "id"
    assert loaded.all_fake is False
    assert loaded.device_config().scanner == "sane"


def test_toml_then_environment_wins(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('port = 9000\nscanner_device = "test:0"\ndata_dir = "/srv/kiosk"\n')
    loaded = s.load(cfg, environ={"KIOSK_PORT": "9100", "KIOSK_DATA_DIR": str(tmp_path)})
    assert loaded.port == 9100
    assert loaded.scanner_device == "test:0"
    assert loaded.data_dir == tmp_path


def test_config_file_from_environment(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("training = true\n")
    assert s.load(environ={"KIOSK_CONFIG": str(cfg)}).training is True


def test_hardware_fake_forces_every_device_fake():
    cfg = s.load(environ={"KIOSK_HARDWARE": "fake", "KIOSK_SCANNER": "sane"}).device_config()
    kinds = {cfg.scanner, cfg.receipt_printer, cfg.document_printer, cfg.card_reader, cfg.panel}
    assert kinds == {"fake"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KIOSK_PORT": "eighty"}, "KIOSK_PORT"),
        ({"KIOSK_SCANNER": "twain"}, "one of sane, fake, none"),
        ({"KIOSK_TRAINING": "perhaps"}, "KIOSK_TRAINING"),
        ({"KIOSK_LANGUAGE": "fr"}, "one of id, en"),
    ],
)
def test_bad_environment_value_names_the_variable(env, message):
    with pytest.raises(s.SettingsError, match=message):
        s.load(environ=env)


def test_unknown_key_in_toml_is_refused(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("prot = 8080\n")
    with pytest.raises(s.SettingsError, match="unknown setting 'prot'"):
        s.load(cfg, environ={})


def test_malformed_toml_is_refused_with_file_name(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("port = \n")
    with pytest.raises(s.SettingsError, match=r"kiosk\.toml"):
        s.load(cfg, environ={})


def test_readme_settings_table_matches_declaration():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- settings:begin -->\n(.*?)<!-- settings:end -->", readme, re.S)
    assert block, "README.md lacks the settings table markers"
    assert block.group(1) == s.markdown_table(), (
        "README settings table is out of date: paste `tps-kiosk settings --markdown`"
    )


def test_every_setting_has_help_and_an_env_name():
    names = [d.name for d in s.DECLARED]
    assert len(names) == len(set(names))
    for d in s.DECLARED:
        assert d.help.endswith("."), d.name
        assert d.env == "KIOSK_" + d.name.upper()


def test_settings_are_typed_attributes_declared_once():
    loaded = s.Settings.from_values(port=9000)
    assert loaded.port == 9000 and loaded.pin_attempts == 5  # given, and the default
    assert [d.name for d in s.DECLARED] == [
        name for name, v in vars(s.Settings).items() if isinstance(v, s.Setting)
    ]
    assert s.Settings.port is s.DECLARED[[d.name for d in s.DECLARED].index("port")]
    with pytest.raises(AttributeError):
        loaded.upload_adapter  # noqa: B018  (removed: nothing read it)
    with pytest.raises(s.SettingsError, match="unknown setting 'scaner_dpi'"):
        s.Settings.from_values(scaner_dpi=200)


def test_mypy_catches_a_misspelled_or_mistyped_setting(tmp_path):
    from mypy import api

    code = tmp_path / "uses_settings.py"
    code.write_text(
        "from kiosk.settings import Settings\n"
        "settings = Settings()\n"
        "dpi: int = settings.scanner_dpi\n"
        "typo = settings.scaner_dpi\n"
        "port: str = settings.port\n"
    )
    out, _, status = api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            str(code),
        ]
    )
    assert status == 1
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 2, out
    assert '"Settings" has no attribute "scaner_dpi"' in errors[0]
    assert 'expression has type "int", variable has type "str"' in errors[1]
