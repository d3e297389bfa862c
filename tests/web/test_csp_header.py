"""The Content-Security-Policy is on every response, and nothing in the templates needs an
exception to it (the browser tests, tests/browser/test_csp.py, load the pages themselves)."""

import json
import logging
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(
    r"<style|\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


@pytest.mark.parametrize("path", ["/login/", "/healthz", "/api/v1/auth/me/", "/admin/login/"])
def test_every_response_carries_the_policy(client, redis, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["report-uri"] == "/csp-report/"


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        if "reports" in template.relative_to(ROOT / "templates").parts:
            continue  # PDF templates: WeasyPrint, not a browser
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []


def test_a_violation_report_is_logged(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://planner.example.com/apps/1/",
            "violated-directive": "style-src-attr",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="portal.csp"):
        response = client.post(
            "/csp-report/", json.dumps(report), content_type="application/csp-report"
        )
    assert response.status_code == 204
    assert (
        "CSP violation on https://planner.example.com/apps/1/: style-src-attr refused inline"
        in caplog.text
    )


def test_a_report_too_big_or_not_json_is_refused_quietly(client):
    big = "x" * (20 * 1024)
    assert client.post("/csp-report/", big, content_type="application/json").status_code == 413
    assert client.post("/csp-report/", "not json", content_type="text/plain").status_code == 204
    assert client.get("/csp-report/").status_code == 405
