"""The identity tools (token signing and the rest) are built on first use, which may come in the
middle of a request that has already written: a guest's booking signs its token after storing
its Idempotency-Key. Building them must not wait for that request's own transaction (on SQLite,
whose writers take the database's one write lock, it waited 30 s and failed). Both backends."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from clinic_runtime.db import make_engine, make_session_factory, transaction
from gateway.adapters.orm import gateway_keys
from gateway.entrypoints.authentication import build_tools
from gateway.settings import Settings

pytestmark = pytest.mark.integration


def test_the_tools_are_built_while_a_write_transaction_is_open(gateway_database):
    engine = make_engine(gateway_database)
    sessions = make_session_factory(engine)
    built = []
    try:
        with transaction(sessions) as writing:
            writing.execute(sa.update(gateway_keys).values(name=gateway_keys.c.name))  # takes the write lock
            builder = threading.Thread(target=lambda: built.append(build_tools(Settings(), engine)), daemon=True)
            builder.start()
            builder.join(timeout=5)
            assert built, "building the tools waited for the open write transaction"
        assert built[0].tokens is not None
    finally:
        engine.dispose()
