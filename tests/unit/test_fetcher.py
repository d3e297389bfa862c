"""The locked URL fetcher: WeasyPrint may read the project's static files and data: URLs, and
nothing else — no local file elsewhere, no network, no attachment (RELIABILITY.md, WeasyPrint 70).
"""

from __future__ import annotations

import http.server
import io
import os
import threading

import pypdf
import pytest

from planner.reports.fetcher import FetchRefused, LockedURLFetcher
from planner.reports.render import RenderError, html_to_pdf, plan_to_pdf, static_root

PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
    "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def root(tmp_path):
    static = tmp_path / "static"
    (static / "reports").mkdir(parents=True)
    (static / "reports" / "plan.css").write_text("p { color: #123456; }")
    (tmp_path / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash")
    os.symlink(tmp_path / "secret.txt", static / "reports" / "link.css")
    return static


@pytest.fixture
def server():
    """A web server on loopback that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", hits
    httpd.shutdown()


def test_serves_a_static_file(root):
    fetcher = LockedURLFetcher([root])
    response = fetcher((root / "reports" / "plan.css").as_uri())
    assert response.read() == b"p { color: #123456; }"
    assert response.content_type == "text/css"
    assert fetcher.fetched == [(root / "reports" / "plan.css").as_uri()]


def test_serves_data_urls(root):
    response = LockedURLFetcher([root])("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "only the project's static files"),
        ("file://localhost/etc/passwd", "only the project's static files"),
        ("file://evil.example/share/x.css", "a file on another host"),
        ("file:///nonexistent/x.css", "no such file"),
        ("http://127.0.0.1:9/x.png", "no network"),
        ("https://example.com/x.css", "no network"),
        ("ftp://example.com/x", "no network"),
        ("gopher://example.com/x", "no network"),
    ],
)
def test_refuses_everything_else(root, url, why):
    with pytest.raises(FetchRefused, match=why.replace("'", ".")):
        LockedURLFetcher([root])(url)


def test_refuses_a_way_out_of_the_static_dir(root):
    fetcher = LockedURLFetcher([root])
    out = root.as_uri() + "/reports/../../secret.txt"
    with pytest.raises(FetchRefused, match="only the project's static files"):
        fetcher(out)
    with pytest.raises(FetchRefused, match="only the project's static files"):
        fetcher((root / "reports" / "link.css").as_uri())  # a symlink pointing outside
    with pytest.raises(FetchRefused, match="not a regular file"):
        fetcher((root / "reports").as_uri())


def test_a_refusal_stops_the_rendering_but_not_the_worker():
    # FetchRefused is a BaseException (WeasyPrint's FatalURLFetchingError): it must not escape.
    assert not issubclass(FetchRefused, Exception)
    with pytest.raises(RenderError, match="file:///etc/passwd"):
        html_to_pdf('<p>x</p><img src="file:///etc/passwd">')


def plan_like(rows: list[str]) -> str:
    """A document the plan renderer cuts into parts: a cover, annex A's table, annex B."""
    body = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return (
        '<html><head><link rel="stylesheet" href="reports/plan.css"></head><body>'
        '<section class="cover"><h1 class="app">plan</h1></section>'
        '<section class="annex"><h2>Annex A</h2><table class="grid vms"><thead><tr><th>VM</th>'
        f"</tr></thead><tbody>{body}</tbody></table></section>"
        '<section class="annex-b"><h2>Annex B</h2><p class="vmcalc">vm-0</p></section>'
        "</body></html>"
    )


@pytest.mark.parametrize("items_per_part", [0, 70])
def test_a_refusal_in_a_part_rendered_apart_stops_the_rendering(settings, items_per_part):
    """A part rendered in a process of its own (here the fourth chunk of annex A's rows, with
    chunks of 70) refuses as html_to_pdf does, and the caller gets a RenderError."""
    settings.PLAN_PDF_PARALLEL = True
    settings.PLAN_PDF_ITEMS_PER_PART = items_per_part
    rows = [f"vm-{i}" for i in range(300)]
    pdf, pages = plan_to_pdf(plan_like(rows))
    assert pages == len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 4
    rows[250] += '<img src="file:///etc/passwd">'
    with pytest.raises(RenderError, match="refused to fetch file:///etc/passwd"):
        plan_to_pdf(plan_like(rows))


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="stylesheet" href="file:///etc/passwd">',
        '<p style="background: url(file:///etc/passwd)">x</p>',
        '<object data="file:///etc/passwd"></object>',
    ],
)
def test_template_naming_a_local_file_is_refused(markup):
    with pytest.raises(RenderError, match="refused to fetch file:///etc/passwd"):
        html_to_pdf(f"<html><body><p>plan</p>{markup}</body></html>")


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="{url}/logo.png">',
        '<link rel="stylesheet" href="{url}/x.css">',
        '<p style="background: url({url}/bg.png)">x</p>',
        '<style>@import url("{url}/import.css");</style>',
        "<style>@font-face {{ font-family: x; src: url({url}/f.woff2); }}</style>",
    ],
)
def test_template_naming_a_network_address_is_refused_and_nothing_is_requested(server, markup):
    url, hits = server
    with pytest.raises(RenderError, match="no network"):
        html_to_pdf(f"<html><body><p>plan</p>{markup.format(url=url)}</body></html>")
    assert hits == []


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="attachment" href="file:///etc/passwd">',
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
        '<link rel="attachment" href="{url}/secret.txt">',
        '<link rel="attachment" href="reports/plan.css">',
        '<a rel="attachment" href="reports/plan.css">our own stylesheet</a>',
    ],
)
def test_no_attachment_even_of_a_static_file(server, markup):
    url, hits = server
    fetcher = LockedURLFetcher()
    with pytest.raises(RenderError, match="carries no attachment"):
        html_to_pdf(
            f"<html><body><p>plan</p>{markup.format(url=url)}</body></html>", fetcher=fetcher
        )
    assert hits == [] and fetcher.fetched == []


def test_relative_urls_resolve_in_the_static_dir():
    html = (
        '<html><head><link rel="stylesheet" href="reports/plan.css"></head>'
        f'<body><p>plan</p><img src="{PNG_1PX}"></body></html>'
    )
    fetcher = LockedURLFetcher()
    pdf, pages = html_to_pdf(html, fetcher=fetcher)
    assert pages == 1
    assert fetcher.fetched[0] == (static_root() / "reports" / "plan.css").resolve().as_uri()
    assert fetcher.fetched[1].startswith("data:image/png")
    assert not pypdf.PdfReader(io.BytesIO(pdf)).attachments
