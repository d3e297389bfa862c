"""A ``<select>`` written in Python: the list pages' filter forms without a template per option.

Django renders a Select through three templates, one ``{% include %}`` per option and another
per option's attributes: the VM list's filter form (seven selects, about 80 includes) was a
sixth of the page's CPU (bench/list_pages.py, issue 19). ``PythonSelect`` writes the same HTML,
character for character (tests/web/test_lists_body.py compares it with Django's on every
filter form), from the same context (``get_context``: choices, the selected value, attributes).
Other forms' widgets go through the cached renderer (portal/forms/renderer.py); for the lists'
filter selects writing the HTML costs less than that renderer's digest (1.7 against 2.2 ms
for the VM list's form, CPU).
"""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `` name="value"`` (its ``stringformat:"s"``: str()), a bare name
    for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


class PythonSelect(forms.Select):
    """django/forms/widgets/select.html and select_option.html, written without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                label = conditional_escape(formats.localize(option["label"]))
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>{label}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


def python_selects(form: forms.Form) -> forms.Form:
    """Render ``form``'s plain Select widgets with ``PythonSelect`` (the same HTML)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget.__class__ = PythonSelect  # only render() differs
    return form
