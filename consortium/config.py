"""Settings: a frozen object built once from the environment (nothing reads os.environ at import)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
# A checkout (or an editable install) keeps instance/ beside the code; an installed wheel
# keeps it where Flask would, under the environment's prefix.
IS_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
INSTANCE_DIR = (
    PROJECT_ROOT / "instance" if IS_CHECKOUT else Path(sys.prefix) / "var" / "consortium-instance"
)


def resource_dir(name: str) -> Path:
    """The top-level `templates/` or `migrations/` folder, in a checkout or in a wheel.

    The wheel ships them inside the package (`consortium/templates`, see pyproject.toml's
    package-dir); a checkout has them at the top of the repository.
    """
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PROJECT_ROOT / name


SECRET_KEY_FILE = "secret_key"


def instance_secret_key(directory: Path) -> str:
    """The random key of this instance (made once, file mode 0600), for runs without SECRET_KEY.

    A key written in the source would let anyone sign a session for any user; a fresh key per
    start would sign everyone out at each restart. So: random once, kept beside the database.
    """
    path = directory / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        # O_EXCL: two processes starting at once agree on the first key written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key


class ConfigError(RuntimeError):
    """The environment does not describe a startable application."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    production: bool = False
    testing: bool = False
    demo_mode: bool = False
    redis_url: str | None = None
    timezone: str = "America/Chicago"
    session_cookie_secure: bool = False
    csrf_enabled: bool = True
    # Flask-Limiter limit strings. Failed sign-ins count per (email, client address) in
    # stacked windows: each one exhausted makes the wait longer (back-off), and only that
    # address waits, so nobody can lock someone else out.
    login_limit_per_account: str = "5 per minute; 20 per hour; 100 per day"
    login_limit_per_address: str = "30 per minute; 300 per hour"
    reset_limit_per_account: str = "3 per hour"
    reset_limit_per_address: str = "10 per hour"
    registration_limit_per_address: str = "10 per hour; 50 per day"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "Consortium <no-reply@consortium.invalid>"
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Where the Stripe SDK sends requests: None is Stripe itself; tests point it at a local fake.
    stripe_api_base: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    trusted_proxies: int = 0
    # Public pages as cookieless visitors see them, cached per worker (consortium.public_cache).
    public_cache: bool = True
    jobs_mode: str | None = None  # "sync" | "thread" | "rq"; None: rq when REDIS_URL, else thread
    api_rate_limit: str = "300 per minute"  # per API token (anonymous API calls: per address)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the environment (or `environ`), apply `overrides`, validate."""
        env = os.environ if environ is None else environ
        production = env.get("FLASK_ENV", env.get("CONSORTIUM_ENV", "")).lower() == "production"
        secret_key = env.get("SECRET_KEY", "")
        if not secret_key:
            if production:
                raise ConfigError("SECRET_KEY must be set in production")
            secret_key = instance_secret_key(INSTANCE_DIR)
        settings = cls(
            database_url=env.get("DATABASE_URL")
            or f"sqlite:///{INSTANCE_DIR / 'consortium.sqlite'}",
            secret_key=secret_key,
            production=production,
            testing=_flag(env.get("TESTING")),
            demo_mode=_flag(env.get("DEMO_MODE")),
            redis_url=env.get("REDIS_URL") or None,
            timezone=env.get("TIMEZONE", "America/Chicago"),
            session_cookie_secure=_flag(env.get("SESSION_COOKIE_SECURE"), default=production),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=int(env.get("SMTP_PORT", "587")),
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env.get("SMTP_STARTTLS"), default=True),
            mail_from=env.get("MAIL_FROM", "Consortium <no-reply@consortium.invalid>"),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            base_url=env.get("BASE_URL", "http://127.0.0.1:5000"),
            trusted_proxies=int(env.get("TRUSTED_PROXIES", "0")),
            jobs_mode=env.get("JOBS_MODE") or None,
            api_rate_limit=env.get("API_RATE_LIMIT") or "300 per minute",
        )
        return settings.replace(**overrides) if overrides else settings.validated()

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, validated."""
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        if self.production and not self.secret_key:
            raise ConfigError("SECRET_KEY must be set in production")
        if self.stripe_api_base is not None and not self.stripe_api_base.startswith(
            "https://" if self.production else ("https://", "http://")
        ):
            raise ConfigError("STRIPE_API_BASE must be an https:// URL (http:// only outside production)")
        if self.production and self.stripe_secret_key and not self.stripe_webhook_secret:
            # Without the webhook nothing paid on Stripe's page would ever show as paid here.
            raise ConfigError("STRIPE_WEBHOOK_SECRET must be set with STRIPE_SECRET_KEY in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def flask_config(self) -> dict[str, Any]:
        """The Flask config keys these settings stand for."""
        return {
            "SETTINGS": self,
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not self.is_sqlite},
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "PREFERRED_URL_SCHEME": "https" if self.production else "http",
            "WTF_CSRF_ENABLED": self.csrf_enabled,
            "WTF_CSRF_TIME_LIMIT": None,
            "REDIS_URL": self.redis_url,
            "TIMEZONE": self.timezone,
            "DEMO_MODE": self.demo_mode,
            "STRIPE_SECRET_KEY": self.stripe_secret_key,
            "STRIPE_PUBLISHABLE_KEY": self.stripe_publishable_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "SMTP_HOST": self.smtp_host,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # district CSV imports
            "JOBS_MODE": self.jobs_mode,
            # consortium.extensions.limiter: Redis when there is one, so workers count together.
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "API_RATE_LIMIT": self.api_rate_limit,
        }

    def public_dict(self) -> dict[str, Any]:
        """Settings without secrets, for logs and debugging pages."""
        hidden = {"secret_key", "smtp_password", "stripe_secret_key", "stripe_webhook_secret"}
        return {k: ("***" if k in hidden and v else v) for k, v in asdict(self).items()}
