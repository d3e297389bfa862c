"""Structured logs: one JSON line per request, fields a log pipeline can index."""

import json
import logging
import sys

import pytest

from portal.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def test_one_log_record_per_request_with_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="portal.request"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "portal.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] in (200, 503)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"].startswith("GET /healthz ")


def test_json_formatter_keeps_exceptions_on_one_line():
    try:
        raise ValueError("bad input")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("run 7",), exc_info=sys.exc_info()
        )
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert json.loads(text)["exc"].endswith("ValueError: bad input")
