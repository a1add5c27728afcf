"""Grouping articles: copies and lineage, stories."""
