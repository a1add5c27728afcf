"""storylens: compare how news outlets report the same story."""

from storylens.model import Article, Outlet, Provenance, TimeValue

__all__ = ["Article", "Outlet", "Provenance", "TimeValue"]
__version__ = "0.1.0"
