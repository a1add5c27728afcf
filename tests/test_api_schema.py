"""Schemathesis: the served OpenAPI document holds for the running server.

The schemathesis command line runs against a real uvicorn server on 127.0.0.1 over a
real store, as an editor so the writes run too: every operation is called with generated
valid and invalid inputs, and schemathesis' own checks must all pass (no server errors,
documented status codes and content types, responses matching their schemas, invalid
input rejected, valid input accepted). Its pytest plugin is not used: it reads a private
attribute that pytest 9 removed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storylens.store.sqlite import SQLiteStore
from storylens.web.settings import ServeSettings
from tests.serve_fixtures import running_server
from tests.serve_stores import analysed_examples_store

pytestmark = pytest.mark.timeout(900)
CONFIG = Path(__file__).parent / "data" / "schemathesis.toml"


def test_api_conforms_to_its_openapi_document(tmp_path: Path) -> None:
    db = analysed_examples_store(tmp_path / "store.db")
    with SQLiteStore(db) as store:
        _, token = store.tokens.create("schemathesis", "editor")
    settings = ServeSettings(
        db=db, worker=False, rate_limit_per_minute=0, write_rate_limit_per_minute=0
    )
    with running_server(settings) as base:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "25",
                "--seed",
                "20261202",
                "--header",
                f"Authorization: Bearer {token}",
                "--request-timeout",
                "30",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout.lower()
