"""The application factory: it only wires config, extensions, blueprints and error handlers."""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from consortium import urls
from consortium.config import INSTANCE_DIR, Settings, resource_dir

DOMAINS = (
    "accounts", "audit", "notifications", "procurement", "bids", "allocation", "awards",
    "payments", "opendata", "dashboard",
)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder="static",
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_mapping(settings.flask_config())
    _ensure_sqlite_dir(settings)

    _init_extensions(app)
    urls.init_app(app)  # before the blueprints: their <int:...> routes are bounded
    _register_blueprints(app)
    _register_errors(app)
    _register_template_helpers(app)

    from consortium import cli

    cli.init_app(app)
    return app


def _ensure_sqlite_dir(settings: Settings) -> None:
    # SQLite creates the file but not its folder; the default lives in instance/.
    if settings.database_url.startswith("sqlite:///") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )


def _init_extensions(app: Flask) -> None:
    from consortium import commit_point, policy, public_cache, security
    from consortium.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    from consortium.accounts.models import User

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        return User.from_session_id(session_id)

    security.init_app(app)
    app.before_request(policy.default_deny)
    commit_point.init_app(app)  # commits or rolls back every request, after its view
    public_cache.init_app(app)  # public pages for cookieless visitors, invalidated by commits


def _register_blueprints(app: Flask) -> None:
    from consortium import main

    app.register_blueprint(main.bp)
    for name in DOMAINS:
        module_name = f"consortium.{name}.views"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Skip a domain that is not written yet; a broken import inside it still fails loudly.
            if exc.name in (module_name, f"consortium.{name}"):
                continue
            raise
        app.register_blueprint(module.bp)
    from consortium import api

    api.init_app(app)  # /api/v1 and its OpenAPI document


def _register_errors(app: Flask) -> None:
    def page(code: int, message: str | None = None):
        def handler(error):
            from consortium.api.errors import http_error, is_api_request

            if is_api_request():  # an unknown API path or method: the API's JSON, not a page
                return http_error(error)
            if code == 500:
                from consortium.extensions import db

                db.session.rollback()  # the page itself may need the database
            text = message or _custom_description(error)
            return render_template(f"errors/{code}.html", error=error, message=text), code

        return handler

    app.register_error_handler(400, page(400))
    app.register_error_handler(403, page(403))
    app.register_error_handler(404, page(404))
    app.register_error_handler(413, page(400, "The file is too large (16 MB at most)."))
    app.register_error_handler(429, page(429))
    app.register_error_handler(500, page(500))
    app.register_error_handler(
        CSRFError,
        lambda e: (
            render_template(
                "errors/400.html",
                error=e,
                message="The form expired or did not come from this site. Reload the page and try again.",
            ),
            400,
        ),
    )


def _custom_description(error) -> str | None:
    """The message given to abort(code, "..."), not werkzeug's generic one."""
    description = getattr(error, "description", None)
    if description and description != getattr(type(error), "description", None):
        return description
    return None


def _register_template_helpers(app: Flask) -> None:
    from consortium import filters

    filters.init_app(app)
