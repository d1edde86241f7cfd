"""Notifications's web process."""

from __future__ import annotations

from flask import Flask

from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, web_engine
from notifications.entrypoints.migrate import MIGRATIONS
from notifications.settings import Settings


def create_app() -> Flask:
    settings = Settings()
    return create_web_app(settings, web_engine(settings), [], migrations=MIGRATIONS)


def main() -> None:
    serve_web(Settings(), "notifications.entrypoints.web:create_app()")
