"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import logging

from consortium import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
# Alembic announces each of its plugins at INFO on every command; that buried the demo logins.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
app = create_app()
