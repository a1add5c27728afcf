"""The web app's Jinja2 templates: its own pages plus the report's partials.

One loader sees `web/templates/` and `present/templates/`, so a story page includes the
same `report/_body.html.j2` the static report renders. Autoescape is on and every plain
string is cleaned of control and bidi characters on output, as in the static report.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
from fastapi.templating import Jinja2Templates

from storylens.present.report_html import report_environment


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The shared `Jinja2Templates` (one environment per process)."""
    base = report_environment()
    env = base.overlay(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("storylens.web", "templates"),
                jinja2.PackageLoader("storylens.present", "templates"),
            ]
        ),
    )
    return Jinja2Templates(env=env)
