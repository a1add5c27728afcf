"""Renderers: the same data as terminal tables, JSON Lines, CSV, Parquet, Markdown, HTML."""
