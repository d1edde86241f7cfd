"""Billing's web process."""

from __future__ import annotations

from flask import Flask

from billing.entrypoints.migrate import MIGRATIONS
from billing.settings import Settings
from clinic_runtime.serve import serve_web
from clinic_runtime.web import create_web_app, web_engine


def create_app() -> Flask:
    settings = Settings()
    return create_web_app(settings, web_engine(settings), [], migrations=MIGRATIONS)


def main() -> None:
    serve_web(Settings(), "billing.entrypoints.web:create_app()")
