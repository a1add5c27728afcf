"""Persistence: SQLite by default (one file, no server)."""

from storylens.store.sqlite import AddResult, SQLiteStore, default_db_path, open_store

__all__ = ["AddResult", "SQLiteStore", "default_db_path", "open_store"]
