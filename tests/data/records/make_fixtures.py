"""Write the record fixtures in this folder (run from the repository root).

    .venv/bin/python tests/data/records/make_fixtures.py

Every text here is invented for the tests (see STORY in tests/test_warc.py), so the
files can be committed. The WARC writer is given fixed record ids and dates, so running
this again gives the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.test_warc import STORY, arc_bytes, ccnews_records, page_html, warc_bytes  # noqa: E402

OUTLETS = ["Coastal Herald", "Daily Ledger", "Metro Wire"]
DATES = ["2021-10-24T09:15:00+02:00", "2021-10-24", "Sun, 24 Oct 2021 11:40:00 GMT"]


def rows() -> list[dict[str, object]]:
    return [
        {
            "article_id": f"bridge-{n}",
            "outlet": OUTLETS[n],
            "date": DATES[n],
            "title": title,
            "url": url,
            "body": "\n\n".join(paragraphs),
        }
        for n, (url, title, paragraphs) in enumerate(STORY)
    ]


def write_tabular(path: Path, dialect: str) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows()[0]), dialect=dialect)
    writer.writeheader()
    writer.writerows(rows())
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def main() -> None:
    (HERE / "ccnews.warc.gz").write_bytes(warc_bytes(ccnews_records(huge=False)))
    (HERE / "sample.arc").write_bytes(arc_bytes())
    with (HERE / "articles.jsonl").open("w", encoding="utf-8") as out:
        for row in rows():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_tabular(HERE / "articles.csv", "excel")
    write_tabular(HERE / "articles.tsv", "excel-tab")
    url, title, paragraphs = STORY[0]
    newsplease = {
        "authors": ["Anna Berg", "Tom Ruiz"],
        "date_download": "2021-10-24 12:00:00",
        "date_modify": None,
        "date_publish": "2021-10-24 09:15:00",
        "description": paragraphs[0],
        "filename": "bridge.json",
        "image_url": None,
        "language": "en",
        "localpath": None,
        "maintext": "\n".join(paragraphs),
        "source_domain": "coastalherald.example",
        "title": title,
        "title_page": None,
        "title_rss": None,
        "url": url,
    }
    (HERE / "newsplease.json").write_text(json.dumps(newsplease, indent=4), encoding="utf-8")
    items = [{"id": r["article_id"], "headline": r["title"], "content": r["body"]} for r in rows()]
    (HERE / "array.json").write_text(json.dumps(items, indent=2), encoding="utf-8")
    (HERE / "page.html").write_text(page_html(title, paragraphs), encoding="utf-8")
    dump = "\n".join(
        [
            "Coastal Herald",
            "Home | World | Sport",
            title,
            "By Anna Berg",
            "24 October 2021",
            *paragraphs,
            "Share this article",
        ]
    )
    (HERE / "dump.txt").write_text(dump + "\n", encoding="utf-8")
    (HERE / "articles.jsonl.gz").write_bytes(
        gzip.compress((HERE / "articles.jsonl").read_bytes(), mtime=0)
    )


if __name__ == "__main__":
    main()
