"""Item 1 of issue 10: outside production the key is random, kept in instance/, never a constant."""

from __future__ import annotations

import stat

import pytest

from consortium import config
from consortium.config import ConfigError, Settings


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    return tmp_path / "instance"


def test_without_secret_key_a_random_key_is_made_once_and_kept_private(instance):
    first = Settings.from_env({}).secret_key
    again = Settings.from_env({}).secret_key
    key_file = instance / config.SECRET_KEY_FILE
    assert key_file.read_text().strip() == first == again  # kept: sessions survive a restart
    assert len(first) >= 43  # 256 random bits, url-safe
    assert "dev-only" not in first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_two_instances_never_share_a_key(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "one")
    one = Settings.from_env({}).secret_key
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "two")
    two = Settings.from_env({}).secret_key
    assert one != two


def test_the_source_holds_no_signing_key():
    assert not hasattr(config, "DEV_SECRET_KEY")


def test_production_still_requires_secret_key(instance):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"FLASK_ENV": "production"})
    assert not (instance / config.SECRET_KEY_FILE).exists()  # nothing generated for production


def test_an_explicit_secret_key_is_used_as_is(instance):
    assert Settings.from_env({"SECRET_KEY": "k" * 40}).secret_key == "k" * 40
    assert not (instance / config.SECRET_KEY_FILE).exists()
