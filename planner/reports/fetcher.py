"""WeasyPrint's URL fetcher, locked: the project's static files and data: URLs, nothing else.

WeasyPrint's default fetcher opens any URL a document names — http(s), ftp, any local file — and
``<link rel=attachment href="file:///…">`` even embeds a local file *inside* the PDF
(RELIABILITY.md, WeasyPrint 70). A plan PDF must read nothing but our own stylesheet, so:

- ``data:`` URLs are decoded by WeasyPrint's own handler (no I/O);
- ``file:`` URLs are served only when the path, symlinks resolved, is a regular file under
  one of the allowed roots (the project's ``static/`` directory by default);
- everything else (http, https, ftp, a file elsewhere, ``..`` out of the root) raises
  ``FetchRefused``. It derives from WeasyPrint's ``FatalURLFetchingError`` — a
  ``BaseException`` — so the rendering stops instead of logging a warning and going on;
  ``planner.reports.render`` turns it into an ordinary ``RenderError`` at once, because a
  BaseException escaping a Celery task would take the worker's pool process down with it.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

# WeasyPrint logs each layout step at INFO (one line per page, and three at import): quiet it
# before the import below triggers the first ones.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402


class FetchRefused(FatalURLFetchingError):
    """The document named a URL the plan renderer may not read."""

    def __init__(self, url: str, why: str):
        self.url = url
        self.why = why
        shown = url if len(url) <= 120 else url[:117] + "..."
        super().__init__(f"refused to fetch {shown}: {why}")

    def __reduce__(self):
        # Pickled from a render process to its parent (planner/reports/parallel.py).
        return type(self), (self.url, self.why)


def default_roots() -> tuple[Path, ...]:
    """The project's own static directory (``settings.STATICFILES_DIRS``)."""
    from django.conf import settings

    return tuple(Path(d) for d in settings.STATICFILES_DIRS)


class LockedURLFetcher(URLFetcher):
    """Serves files under ``roots`` and ``data:`` URLs; refuses every other URL.

    ``fetched`` lists the URLs served, for tests and logs.
    """

    def __init__(self, roots: Iterable[Path | str] | None = None):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1)
        self.roots = tuple(Path(r).resolve() for r in (default_roots() if roots is None else roots))
        self.fetched: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            response = super().fetch(url, headers)
            self.fetched.append(url[:40])
            return response
        if scheme != "file":
            raise FetchRefused(url, "plan documents read no network resource")
        path = self.local_path(url)
        mime, _ = mimetypes.guess_type(path.name)
        self.fetched.append(url)
        return URLFetcherResponse(
            url=path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )

    def local_path(self, url: str) -> Path:
        """The file ``url`` names, if it is a regular file under a root; else FetchRefused."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(url, "a file on another host")
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            raise FetchRefused(url, "no such file") from None
        if not any(path.is_relative_to(root) for root in self.roots):
            raise FetchRefused(url, "only the project's static files may be read")
        if not path.is_file():
            raise FetchRefused(url, "not a regular file")
        return path

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)
