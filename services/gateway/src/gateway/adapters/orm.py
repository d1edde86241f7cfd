"""The gateway's tables: identity and access control (the messaging tables are shared)."""

from sqlalchemy import MetaData

metadata = MetaData()
