"""/csp-report/: where browsers report what the Content-Security-Policy refused.

A report is logged as a warning (logger ``portal.csp``) with the page, the directive and the
refused resource: a violation in production means a page is missing a script or a style. The
endpoint is open (browsers send no session or CSRF token with reports), so the body is capped
and only a few known fields are logged.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

log = logging.getLogger("portal.csp")

MAX_REPORT_BYTES = 16 * 1024
FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri", "source-file")


def _reports(body: bytes) -> list[dict]:
    """The reports in a body: report-uri's {"csp-report": {...}} or the Reporting API's list."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        report = item.get("csp-report") or item.get("body")
        if isinstance(report, dict):
            out.append(report)
    return out


@csrf_exempt
@require_POST
def csp_report(request):
    if int(request.headers.get("Content-Length") or 0) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    for report in _reports(request.body[:MAX_REPORT_BYTES]):
        fields = {k: str(report.get(k, ""))[:300] for k in FIELDS}
        log.warning(
            "CSP violation on %(document-uri)s: %(violated-directive)s refused %(blocked-uri)s "
            "(%(source-file)s)",
            fields,
        )
    return HttpResponse(status=204)
