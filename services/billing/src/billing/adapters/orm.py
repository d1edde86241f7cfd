"""Billing's tables (its domain tables arrive with its issue; the messaging tables are shared)."""

from sqlalchemy import MetaData

metadata = MetaData()
