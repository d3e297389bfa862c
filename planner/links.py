"""The URL of one object by its id, for URL patterns taking one ``<int:pk>``.

``reverse()`` matches the pattern, checks the candidate against it and quotes it on every call:
the two links on each row of a 50-row list were a sixth of the table's time (bench/list_pages.py,
issue 19). Here the URL is reversed once with a marker id per URL configuration, script prefix
and view name, and each id is then put in the marker's place: the same URL as
``reverse(view_name, args=[pk])`` (tests/web/test_lists_body.py compares them).
"""

from __future__ import annotations

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

MARK = 918273645546372819  # an id no table reaches, found once in the reversed URL
_templates: dict[tuple, tuple[str, str, str]] = {}


def object_url(view_name: str, pk) -> str:
    """``reverse(view_name, args=[pk])`` for an integer ``pk``."""
    if type(pk) is not int:
        return reverse(view_name, args=[pk])  # None, a string: reverse() says what is wrong
    # The resolver changes when the URL configuration does (a test's ROOT_URLCONF, a
    # clear_url_caches()), the prefix with the deployment's SCRIPT_NAME.
    key = (get_resolver(get_urlconf()), get_script_prefix(), view_name)
    template = _templates.get(key)
    if template is None:
        if len(_templates) > 256:
            _templates.clear()
        template = _templates[key] = reverse(view_name, args=[MARK]).rpartition(str(MARK))
    head, _, tail = template
    return f"{head}{pk}{tail}"
