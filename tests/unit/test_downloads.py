"""Download names: a safe ASCII filename="..." always, RFC 5987 filename* when needed."""

import pytest
from django.http import HttpResponse

from planner.exports import content_disposition


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain-vms.csv", 'attachment; filename="plain-vms.csv"'),
        (
            'q"; filename="evil.exe.csv',
            'attachment; filename="q_filename_evil.exe.csv"; '
            "filename*=UTF-8''q%22%3B%20filename%3D%22evil.exe.csv",
        ),
        (
            "bad\r\nX-Injected: 1-vms.csv",
            'attachment; filename="badX-Injected_1-vms.csv"; '
            "filename*=UTF-8''badX-Injected%3A%201-vms.csv",
        ),
        (
            "Zürich Lohn 工资-plan-r2.pdf",
            'attachment; filename="Zurich_Lohn_-plan-r2.pdf"; '
            "filename*=UTF-8''Z%C3%BCrich%20Lohn%20%E5%B7%A5%E8%B5%84-plan-r2.pdf",
        ),
        (
            "../../etc/passwd",
            "attachment; filename=\"etc_passwd\"; filename*=UTF-8''..%20..%20etc%20passwd",
        ),
        ("\x00\x1f", 'attachment; filename="download"'),
    ],
)
def test_content_disposition(name, expected):
    value = content_disposition(name)
    assert value == expected
    HttpResponse()["Content-Disposition"] = value  # Django accepts it as a header
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in fallback)
