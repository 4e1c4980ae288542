"""docs/configuration.md and config.py list the same settings with the same defaults."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from custodio import config
from custodio.errors import ConfigError, NotInitialised

DOC = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text("utf-8")
ROW = re.compile(r"^\| `(\w+)` \| `(.*?)` \| (.*) \|$", re.MULTILINE)


def documented() -> dict[str, tuple[object, str]]:
    section = DOC.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return {m[1]: (json.loads(m[2]), m[3]) for m in ROW.finditer(section)}


def test_every_setting_is_documented_with_its_default_and_help() -> None:
    assert documented() == config.setting_help()


def test_file_then_environment_override_the_defaults(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).write_text('http = "0.0.0.0:9000"\nlogin_max_failures = 3\n')
    cfg = config.load(tmp_path, environ={"CUSTODIO_LOGIN_MAX_FAILURES": "7"})
    assert cfg.settings.http == config.Address("0.0.0.0", 9000)
    assert cfg.settings.login_max_failures == 7
    assert cfg.settings.hi2 == config.Address("127.0.0.1", 6201)


def test_unknown_setting_is_an_error_not_ignored(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).write_text("htp = 1\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*htp"):
        config.load(tmp_path, environ={})


def test_wrong_type_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).write_text("")
    with pytest.raises(ConfigError, match="login_max_failures must be int"):
        config.load(tmp_path, environ={"CUSTODIO_LOGIN_MAX_FAILURES": "many"})


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).write_text("http = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(tmp_path, environ={})


def test_missing_data_directory_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="custodio init"):
        config.load(tmp_path / "nowhere", environ={})


def test_the_rendered_file_reads_back_to_the_same_settings(tmp_path: Path) -> None:
    values = {**config.setting_help(), "http": ("1.2.3.4:5", "")}
    (tmp_path / config.CONFIG_FILE).write_text(
        config.render_toml({k: v[0] for k, v in values.items()})
    )
    loaded = config.load(tmp_path, environ={}).settings
    assert loaded.http == config.Address("1.2.3.4", 5)
    assert loaded == dataclasses.replace(config.Settings(), http=config.Address("1.2.3.4", 5))


def test_lists_and_addresses_are_typed_once(tmp_path: Path) -> None:
    """A list from the file (a TOML array) or the environment (its separator); an address
    checked where it is read, naming the setting."""
    (tmp_path / config.CONFIG_FILE).write_text('classify_languages = ["es", "ca"]\n')
    env = {"CUSTODIO_CLASSIFY_LAW_FIRMS": "Ruiz, Pérez y Asociados; Bufete Gómez",
           "CUSTODIO_CLASSIFY_WORKING_LANGUAGES": "es, ca"}  # fmt: skip
    s = config.load(tmp_path, environ=env).settings
    assert s.classify_languages == ("es", "ca") and s.classify_working_languages == ("es", "ca")
    assert s.classify_law_firms == ("Ruiz, Pérez y Asociados", "Bufete Gómez")
    with pytest.raises(ConfigError, match="setting hi3: '6202' is not HOST:PORT"):
        config.load(tmp_path, environ={"CUSTODIO_HI3": "6202"})


def test_key_value_settings_are_typed_once_from_the_file_or_the_environment(
    tmp_path: Path,
) -> None:
    """``handover_operators`` and ``handover_integrity_keys`` reach their consumers as
    :class:`~custodio.config.Pairs`: a TOML array or comma-separated text, an empty value
    kept (``OPERATOR=``: hash checks only), a malformed entry refused by the setting's name."""
    (tmp_path / config.CONFIG_FILE).write_text(
        'handover_operators = ["mediator.example.net=OPERADOR-ES", "sha256:ab = OTRO"]\n'
    )
    env = {"CUSTODIO_HANDOVER_INTEGRITY_KEYS": "movistar=keys/m.pem, vodafone="}
    s = config.load(tmp_path, environ=env).settings
    assert list(s.handover_operators) == [
        ("mediator.example.net", "OPERADOR-ES"),
        ("sha256:ab", "OTRO"),
    ]
    assert list(s.handover_integrity_keys) == [("movistar", "keys/m.pem"), ("vodafone", "")]
    assert config.file_form(s.handover_integrity_keys) == ["movistar=keys/m.pem", "vodafone="]
    with pytest.raises(ConfigError, match=r"setting handover_operators: 'nobody' is not KEY=VALUE"):
        config.load(tmp_path, environ={"CUSTODIO_HANDOVER_OPERATORS": "a=b,nobody"})
