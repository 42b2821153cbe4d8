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
# The one rate limiter of the app, shared by every user of it: the API's per-token limit
# (issue 9) and the sign-in back-off, password resets and registration (issue 10). No limit
# applies unless a view or blueprint asks for one (`limiter.limit`, `shared_limit`). Storage
# comes from the config: RATELIMIT_STORAGE_URI is Redis when REDIS_URL is set, so every worker
# counts together, else memory (see Settings.flask_config). Keyed by default on the client's
# address, which ProxyFix corrects behind TRUSTED_PROXIES proxies.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
