"""Extension singletons, initialised by create_app(); `db` itself lives in consortium.db."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from consortium.db import db

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# One limiter for the whole app (sign-in pages here, API tokens too): storage from
# RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set, so every worker counts together).
# Keyed on the client's address, which ProxyFix corrects behind TRUSTED_PROXIES proxies.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
