"""Whole-platform checks run as subprocesses, exactly as CI and an operator would run them (item 2, 10, DC6)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from hospital_sim.ca import CertificateAuthority

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "backend"


def manage(*args, settings="config.settings.test", extra_env=None, tmp_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = settings
    if tmp_path is not None:
        env["DSM_VAR_DIR"] = str(tmp_path)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=240
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    res = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        settings="config.settings.production",
        extra_env={
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "dsm.hospital.example",
            # The CA's root certificate is pinned in production (never fetched from the service it vouches for).
            "CA_TRUST_ANCHOR_PEM": CertificateAuthority().root_pem,
        },
        tmp_path=tmp_path,
    )
    output = res.stdout + res.stderr
    assert res.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_without_secrets(tmp_path):
    res = manage("check", settings="config.settings.production", tmp_path=tmp_path)
    assert res.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in res.stderr


def test_no_missing_migrations(tmp_path):
    res = manage(
        "makemigrations", "--check", "--dry-run",
        extra_env={"DATABASE_URL": f"sqlite:///{tmp_path / 'mm.sqlite3'}"}, tmp_path=tmp_path,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_openapi_schema_validates_without_warnings(tmp_path):
    schema = tmp_path / "openapi.yaml"
    res = manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(schema),
        extra_env={"DATABASE_URL": f"sqlite:///{tmp_path / 'schema.sqlite3'}"}, tmp_path=tmp_path,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    text = schema.read_text(encoding="utf-8")
    assert "openapi: 3" in text and "/api/v1/" in text


@pytest.mark.req("DC6")
def test_top_level_layout():
    for name in ("backend", "mobile_staff", "mobile_patient", "admin_web", "ml_models", "infra", "tests"):
        assert (REPO / name).is_dir(), f"{name}/ is missing"
    for name in ("pyproject.toml", "README.md"):
        assert (REPO / name).is_file(), f"{name} is missing"
    for name in ("mobile_staff", "mobile_patient", "admin_web", "ml_models", "infra"):
        readme = REPO / name / "README.md"
        assert readme.is_file(), f"{name}/README.md is missing"
        assert len(readme.read_text(encoding="utf-8").strip()) > 200, f"{name}/README.md says nothing"
    assert (BACKEND / "manage.py").is_file()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
