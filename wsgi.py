"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import logging

from consortium import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
