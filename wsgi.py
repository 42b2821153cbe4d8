"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from consortium import create_app

app = create_app()
