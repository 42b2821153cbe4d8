"""A wheel carries everything the app needs: code, static files, templates and migrations."""

from __future__ import annotations

import tomllib
from pathlib import Path

from consortium import config
from consortium.config import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _folders(root: Path, package: str, *, code_only: bool) -> set[str]:
    found = set()
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if folder.name == "__pycache__" or "__pycache__" in folder.parts:
            continue
        if code_only and not (folder / "__init__.py").is_file():
            continue
        relative = folder.relative_to(root).parts
        found.add(".".join((package, *relative)))
    return found


def test_every_folder_of_the_app_is_a_listed_package():
    expected = (
        _folders(PROJECT_ROOT / "consortium", "consortium", code_only=True)
        | _folders(PROJECT_ROOT / "pricing", "pricing", code_only=True)
        | {"consortium.static"}
        | _folders(PROJECT_ROOT / "templates", "consortium.templates", code_only=False)
        | _folders(PROJECT_ROOT / "migrations", "consortium.migrations", code_only=False)
    )
    assert set(SETUPTOOLS["packages"]) == expected
    assert SETUPTOOLS["package-dir"] == {
        "consortium.templates": "templates", "consortium.migrations": "migrations",
    }


def test_a_checkout_uses_the_top_level_folders(app):
    assert Path(app.template_folder) == PROJECT_ROOT / "templates"
    assert Path(app.extensions["migrate"].directory) == PROJECT_ROOT / "migrations"


def test_an_installed_package_uses_its_own_copies(tmp_path, monkeypatch):
    (tmp_path / "templates").mkdir()
    monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path)
    assert config.resource_dir("templates") == tmp_path / "templates"
    assert config.resource_dir("migrations") == PROJECT_ROOT / "migrations"
