"""WSGI entry point: ``gunicorn wsgi:app``."""

from ecrf.app import create_app

app = create_app()
