"""The form renderer: Django's own, with each widget's HTML kept by what it is made of.

A select renders one template per option (a what-if form's catalogue choices, a filter's): on
the app page and the lists that was a quarter of the page's CPU, the same HTML every time.
A widget's HTML is a function of its template and the data Django hands that template
(``Widget.get_context``: name, value, attributes, the options with their labels and which one
is selected), so the HTML is kept under a digest of exactly that data: a catalogue edit, a
selected value or another field's id is another digest, never a stale answer. Kept in this
process only (a bounded LRU: a deploy with changed templates starts empty).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from django.forms.renderers import DjangoTemplates

WIDGETS = "django/forms/widgets/"
MAX_ENTRIES = 2048


def _canonical(value, out: list) -> None:
    """Append an unambiguous text form of a widget context to ``out`` (types included: a
    SafeString label renders unescaped, a plain one escaped).

    Each value is its type's name and its text; dicts (keys sorted), lists and tuples are
    bracketed. The exact built-in types are tried first (a context is mostly plain strings):
    a third of the time of asking ``isinstance`` of every value in turn, the same text."""
    append = out.append

    def mapping(value) -> None:
        append("{")
        for k in sorted(value, key=str):
            walk(k)
            append(":")
            walk(value[k])
            append(",")
        append("}")

    def sequence(value) -> None:
        append("[")
        for v in value:
            walk(v)
            append(",")
        append("]")

    def walk(value) -> None:
        kind = type(value)
        if kind is str:
            append(f"str:{len(value)}:{value}")
        elif kind is dict:
            mapping(value)
        elif kind is list or kind is tuple:
            sequence(value)
        elif value is None or kind is bool or kind is int or kind is float:
            append(f"{kind.__name__}:{value!r}")
        elif isinstance(value, dict):
            mapping(value)
        elif isinstance(value, (list, tuple)):
            sequence(value)
        elif isinstance(value, (bool, int, float)):
            append(f"{kind.__name__}:{value!r}")
        else:  # SafeString, ModelChoiceIteratorValue, dates, lazy text: type and text
            text = str(value)
            append(f"{kind.__name__}:{len(text)}:{text}")

    walk(value)


class CachedWidgetRenderer(DjangoTemplates):
    """``FORM_RENDERER``: widget templates answered from a digest of their context."""

    def __init__(self):
        super().__init__()
        self._html: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, template_name, context, request=None):
        if request is not None or not template_name.startswith(WIDGETS):
            return super().render(template_name, context, request)
        parts: list[str] = [template_name, "|"]
        _canonical(context, parts)
        key = hashlib.blake2b("".join(parts).encode(), digest_size=20).digest()
        with self._lock:
            html = self._html.get(key)
            if html is not None:
                self._html.move_to_end(key)
                return html
        html = super().render(template_name, context, request)
        with self._lock:
            self._html[key] = html
            while len(self._html) > MAX_ENTRIES:
                self._html.popitem(last=False)
        return html
