"""`entitlements-seed-catalog`: publish the example platform catalog (the medical plans of
plans-permissions-medical-ro.txt) into entitlements's database. Plans the catalog holds already
are left as they are, so running it again changes nothing."""

from __future__ import annotations

import logging

from clinic_runtime.db import make_engine, make_session_factory, transaction, utcnow
from entitlements.domain.example_catalog import EXAMPLE_CATALOG
from entitlements.service_layer.commercial_unit_of_work import SqlCommercialUnitOfWork
from entitlements.service_layer.plans import seed_catalog
from entitlements.settings import Settings

log = logging.getLogger(__name__)


def seed(database_url: str) -> list[str]:
    """Publish the example catalog's missing plans; the keys published."""
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return seed_catalog(SqlCommercialUnitOfWork(session), EXAMPLE_CATALOG, utcnow())
    finally:
        engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    published = seed(Settings().resolved_database_url())
    log.info("published %d plan(s) of the example catalog: %s", len(published), ", ".join(published) or "none")
