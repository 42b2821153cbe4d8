"""The baseline of bench/web.py: a bare Flask "hello", served by the same gunicorn command."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
