"""The Flask app factory every service's web process is built with.

It gives each service the same edges: RFC 9457 problems for every error, correlation and
request ids, JSON access logs, `/healthz`, `/readyz`, `/metrics`, traces, and one database
transaction per request that commits only when the response is a success.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial, wraps
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
from flask import Blueprint, Flask, Response, current_app, g, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from clinic_runtime import context
from clinic_runtime.db import delete_past_retention, make_engine, make_session_factory, statement_cancelled, utcnow
from clinic_runtime.logging import configure_logging
from clinic_runtime.messaging.tables import idempotency_keys
from clinic_runtime.migrations import ExpectedSchema
from clinic_runtime.problems import PROBLEM_JSON, FieldError, Problem, validation_problem
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.tracing import configure_tracing

log = logging.getLogger(__name__)

REQUESTS = Counter("clinic_http_requests_total", "HTTP requests served.", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "clinic_http_request_duration_seconds",
    "HTTP request latency.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Methods counted under their own name; any other token a client sends (gunicorn accepts any) is
# counted as OTHER_METHOD, so clients cannot mint new series.
COUNTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

# What a client of a creating POST relies on besides the body; a replay repeats them.
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")
SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
NOT_SLUG = re.compile(r"[^a-z0-9]+")
ETAG = re.compile(r'(?:W/)?"([0-9]{1,9})"')
BROKER_CHECK_TTL = 5.0
Model = TypeVar("Model", bound=BaseModel)
ReadinessCheck = Callable[[], tuple[bool, str]]


class Readiness:
    """Required checks decide the status code; informational ones are reported only.

    A web process only writes to its database (events wait in the outbox), so a broker outage
    must not take it out of rotation: the broker is informational there and required in the
    worker. The body's `status` is `ready`, `degraded` (an informational check failed) or
    `not_ready`.
    """

    def __init__(self, required: dict[str, ReadinessCheck], informational: dict[str, ReadinessCheck] | None = None):
        self.required = required
        self.informational = informational or {}

    def evaluate(self) -> tuple[dict[str, object], int]:
        # Checks run side by side, so a probe costs the slowest check, not their sum.
        every = {**self.required, **self.informational}
        with ThreadPoolExecutor(max_workers=max(len(every), 1)) as pool:
            futures = {name: pool.submit(check) for name, check in every.items()}
        results = {name: future.result() for name, future in futures.items()}
        return readiness_report({name: results[name] for name in self.required},
                                {name: results[name] for name in self.informational})


def readiness_report(
    required: dict[str, tuple[bool, str]], informational: dict[str, tuple[bool, str]]
) -> tuple[dict[str, object], int]:
    """The `/readyz` body and status code every web process and worker answers with."""
    ready = all(ok for ok, _ in required.values())
    degraded = not all(ok for ok, _ in informational.values())
    status = "not_ready" if not ready else "degraded" if degraded else "ready"
    checks = {
        **{n: {"ok": ok, "detail": d, "required": True} for n, (ok, d) in required.items()},
        **{n: {"ok": ok, "detail": d, "required": False} for n, (ok, d) in informational.items()},
    }
    return {"status": status, "checks": checks}, 200 if ready else 503


def web_engine(settings: ServiceSettings) -> Engine:
    """The web process's engine for the service's own database: on PostgreSQL, none of a request's
    statements runs past WEB_STATEMENT_TIMEOUT_SECONDS (answered 503 database-busy)."""
    return make_engine(settings.resolved_database_url(),
                       statement_timeout_seconds=settings.web_statement_timeout_seconds)


def create_web_app(
    settings: ServiceSettings,
    engine: Engine | None,
    blueprints: list[Blueprint],
    *,
    migrations: Path | None = None,
    informational: dict[str, ReadinessCheck] | None = None,
) -> Flask:
    """Build a service's web app. Readiness requires the database, migrated to the head of
    `migrations` (or past it) when given, and reports `informational` (by default the broker)."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    # No static files: these are JSON APIs, and an unused /static route would be one more to guard.
    app = Flask(settings.service_name, static_folder=None)
    app.json.sort_keys = False
    app.config["settings"] = settings
    if engine is not None:
        if settings.otel_exporter_otlp_endpoint:
            # A span per statement is worth its cost only where spans are exported: unexported,
            # it would cost every statement a span and reach nobody.
            SQLAlchemyInstrumentor().instrument(engine=engine)
        app.extensions["sessions"] = make_session_factory(engine)
    schema = ExpectedSchema(migrations) if migrations is not None else None
    checks = Readiness(
        {"database": partial(database_ready, engine, schema)} if engine is not None else {},
        {"broker": BrokerCheck(settings.amqp_url)} if informational is None else informational,
    )
    FlaskInstrumentor().instrument_app(app, excluded_urls="healthz,readyz,metrics")
    _install_request_context(app, settings.service_name)
    _install_problem_handlers(app)
    app.register_blueprint(_operations_blueprint(checks))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


# -- the request's unit of work -------------------------------------------------------------


def db() -> Session:
    """The request's session. Its transaction commits after a 2xx/3xx response and rolls back
    after any error, so a failed request leaves nothing half-written."""
    if "db" not in g:
        sessions: sessionmaker[Session] = current_app.extensions["sessions"]
        g.db = sessions()
        g.db.begin()
    return g.db


def _finish_unit_of_work(response: Response) -> Response:
    session: Session | None = g.pop("db", None)
    if session is None:
        return response
    try:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    except IntegrityError:
        session.rollback()
        log.warning("commit refused by a database constraint")
        return problem_response(Problem(409, "conflict", "Conflict.", "The change conflicts with existing data."))
    finally:
        session.close()
    return response


# -- request parsing and idempotency ----------------------------------------------------------


def page_limit(errors: list[FieldError], *, default: int, most: int) -> int:
    """The `limit` query parameter of a list: a whole number from 1 to `most` in ASCII digits
    (`default` when absent); otherwise a FieldError in `errors` and `default`."""
    text = request.args.get("limit")
    if text is None:
        return default
    if re.fullmatch(r"[0-9]{1,6}", text) and 1 <= int(text) <= most:
        return int(text)
    errors.append(FieldError("limit", f"use a whole number from 1 to {most}"))
    return default


def json_body(model: type[Model]) -> Model:
    """The request body validated against `model`; 415, 400 or 422 problems otherwise."""
    if not request.is_json:
        raise Problem(415, "unsupported-media-type", "Send JSON.", "Content-Type must be application/json.")
    try:
        # NaN and Infinity are not JSON (RFC 8259), though Python's parser takes them; nor is a
        # number too large for a float (1e400), which it reads as infinity.
        data = request.get_data()
        raw = json.loads(data, parse_constant=_not_json, parse_float=_finite)
    except ValueError:
        raise Problem(400, "malformed-json", "The body is not valid JSON.") from None
    except RecursionError:
        # Python's parser recurses once per level: arrays nested thousands deep exhaust it.
        raise Problem(400, "malformed-json", "The body is nested too deeply.",
                      "No request needs JSON nested more than a few levels.") from None
    # PostgreSQL stores no NUL in text: refused here for every service, naming where it was. In
    # UTF-8 JSON one can only be written as \u0000; the body is walked only when that is in it
    # (or when it is in another encoding, whose bytes hold NULs).
    if b"\\u0000" in data or b"\x00" in data:
        refused = [FieldError(".".join(path) or "body", "must not contain the NUL character")
                   for path in _nul_paths(raw, ())]
        if refused:
            raise validation_problem(refused)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise validation_problem(field_errors(error)) from None


def _nul_paths(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Where in a parsed JSON value a string (or a key) holds NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*path, key.replace("\x00", "\\0"))
            else:
                yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, (*path, str(index)))


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def field_errors(error: ValidationError) -> list[FieldError]:
    return [
        FieldError(".".join(str(part) for part in e["loc"]) or "body", e["msg"])
        for e in error.errors(include_url=False, include_input=False)
    ]


def etag(version: int) -> str:
    """A resource's version as its ETag: clients send it back in If-Match to change it."""
    return f'"{version}"'


def expected_version() -> int:
    """The version a change is based on, from If-Match: 428 without one, 422 for a malformed one."""
    header = request.headers.get("If-Match")
    if header is None:
        raise Problem(428, "precondition-required", "Send If-Match with the ETag you read.",
                      "Changes need the version they are based on, so concurrent edits are not lost.")
    match = ETAG.fullmatch(header.strip())
    if match is None:
        raise validation_problem([FieldError("If-Match", 'send the ETag you read, e.g. "3"; * is not enough')])
    return int(match.group(1))


def idempotent(view: Callable[..., Response | tuple]) -> Callable[..., Response]:
    """Honour `Idempotency-Key` on a POST (creating, or a command): a replay returns the first response.

    The key is stored in the request's transaction, after the view's own writes, so a key and
    its effects commit together; a concurrent duplicate loses on the primary key and replays.
    Reusing a key with a different body is refused with 422. A key is scoped to the caller
    (`g.idempotency_caller`, when the app sets it) and the request's path.
    """

    @wraps(view)
    def wrapper(*args, **kwargs) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return current_app.make_response(view(*args, **kwargs))
        if not SAFE_ID.match(key):
            raise validation_problem([FieldError("Idempotency-Key", "use 1-100 letters, digits or . _ : -")])
        # Keys are the caller's own: an app that knows who calls (the gateway, after
        # authentication) puts them in g.idempotency_caller, so two callers' keys never meet.
        target = hashlib.sha256(f"{request.method} {request.path}".encode()).hexdigest()
        scope = f"{g.get('idempotency_caller', '')} {target}"
        # The query is part of what was asked (a document's kind and file name travel in it); a
        # request without one is fingerprinted as before, so its stored keys still replay.
        asked = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        fingerprint = hashlib.sha256(asked.encode() + b"\n" + request.get_data()).hexdigest()
        stored = _stored_response(scope, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code >= 300:
            return response
        session = db()
        try:
            # No savepoint: a duplicate undoes the whole request's transaction anyway.
            session.execute(_STORE_KEY, {
                "scope": scope, "key": key, "request_fingerprint": fingerprint,
                "status_code": response.status_code, "response_body": response.get_data(as_text=True),
                "response_headers": json.dumps(
                    {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}),
                "created_at": utcnow(),
            })
        except IntegrityError:
            # Another request with this key committed first: undo ours, answer with theirs.
            session.rollback()
            session.begin()
            return _replay(_stored_response(scope, key), fingerprint)
        return response

    return wrapper


# Built once: both run on every keyed request.
_STORE_KEY = insert(idempotency_keys)
_STORED_KEY = select(idempotency_keys).where(idempotency_keys.c.scope == bindparam("scope"),
                                             idempotency_keys.c.key == bindparam("key"))


def _stored_response(scope: str, key: str):
    return db().execute(_STORED_KEY, {"scope": scope, "key": key}).one_or_none()


def _replay(stored, fingerprint: str) -> Response:
    if stored.request_fingerprint != fingerprint:
        raise Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request.",
            "Use a new key for a new request.",
        )
    response = Response(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers.update(json.loads(stored.response_headers))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def purge_idempotency_keys(engine: Engine, older_than: timedelta, limit: int = 5000) -> int:
    """Delete keys past retention, a bounded batch at a time. Their stored responses hold booking
    tokens and patient details, so they are kept no longer than a replay needs them."""
    return delete_past_retention(engine, idempotency_keys, idempotency_keys.c.created_at, older_than, limit)


# -- context, logs, metrics -------------------------------------------------------------------


def _install_request_context(app: Flask, service: str) -> None:
    # Each route's metric children, found once: labels() validates and locks on every call.
    measured: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    @app.before_request
    def open_context() -> None:
        context.reset()
        incoming = request.headers.get("X-Correlation-ID", "")
        context.set_correlation_id(incoming if SAFE_ID.match(incoming) else str(uuid.uuid4()))
        g.request_id = str(uuid.uuid4())
        g.started = time.perf_counter()
        context.bind_log_fields(request_id=g.request_id)

    @app.after_request
    def close_context(response: Response) -> Response:
        response = _finish_unit_of_work(response)
        response.headers["X-Correlation-ID"] = context.correlation_id()
        response.headers["X-Request-ID"] = g.get("request_id", "")
        rule = request.url_rule
        route = rule.rule if rule else "unmatched"
        method, status = request.method, response.status_code
        counted_method = method if method in COUNTED_METHODS else OTHER_METHOD
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        children = measured.get((counted_method, route, status))
        if children is None:
            children = measured[counted_method, route, status] = (
                REQUESTS.labels(service, counted_method, route, str(status)),
                LATENCY.labels(service, counted_method, route))
        children[0].inc()
        children[1].observe(elapsed)
        if route not in ("/healthz", "/readyz", "/metrics"):
            # The route template, never the raw path or query: those may carry personal data.
            log.info(
                "http request",
                extra={"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)},
            )
        return response


def problem_response(problem: Problem) -> Response:
    body = problem.to_dict(instance=request.path)
    return Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_JSON)


def _install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def on_problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> Response:
        slug = NOT_SLUG.sub("-", (error.name or "error").lower()).strip("-")
        return problem_response(Problem(error.code or 500, slug, error.name, error.description))

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(Problem(500, "internal-error", "Something went wrong on our side.",
                                        "The request was not applied. Try again later."))

    @app.errorhandler(OperationalError)
    def on_database_error(error: OperationalError) -> Response:
        if not statement_cancelled(error):
            return on_unexpected(error)
        # Most often a lock another transaction holds too long; the request's transaction rolls back.
        log.warning("a statement ran past the web bound and was cancelled")
        response = problem_response(Problem(503, "database-busy", "The service is busy.",
                                            "The request was not applied. Try again in a moment."))
        response.headers["Retry-After"] = "1"
        return response


# -- operations endpoints ---------------------------------------------------------------------


def _operations_blueprint(readiness: Readiness) -> Blueprint:
    ops = Blueprint("operations", __name__)

    @ops.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @ops.get("/readyz")
    def readyz():
        return readiness.evaluate()

    @ops.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return ops


def database_ready(engine: Engine, schema: ExpectedSchema | None = None) -> tuple[bool, str]:
    """Whether the database answers, and, given the `schema` the code expects, has it: a process
    must not take requests (or events) on a database its migration has not reached yet."""
    try:
        with engine.connect() as connection:
            if schema is not None:
                return schema.served_by(connection)  # its own queries prove the database answers
            connection.execute(text("SELECT 1"))
            return True, "reachable"
    except Exception as error:
        return False, type(error).__name__


class BrokerCheck:
    """Can this process reach RabbitMQ? Cached briefly, so probes do not open a connection each.

    Only the relay in the worker talks to the broker; the web process checks it so operators see
    a broken broker wherever they look.
    """

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._checked_at = float("-inf")
        self._result: tuple[bool, str] = (False, "not checked")

    def __call__(self) -> tuple[bool, str]:
        if time.monotonic() - self._checked_at > BROKER_CHECK_TTL:
            self._result = asyncio.run(self._probe())
            self._checked_at = time.monotonic()
        return self._result

    async def _probe(self) -> tuple[bool, str]:
        try:
            connection = await aio_pika.connect(self._url, timeout=2)
            await connection.close()
            return True, "reachable"
        except Exception as error:
            return False, type(error).__name__
