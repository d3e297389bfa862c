"""Number inputs that say their range: the model field's ``planner.bounds.Range`` becomes the
input's min/max (the browser refuses out of range before sending) and the message for text
that is no number at all ("inf", "nan", "fast"), which otherwise says only "Enter a number."
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist

from planner.bounds import Range


def show_ranges(form: forms.ModelForm) -> None:
    """Give each of the form's number fields its model field's range (min, max, message)."""
    model = form._meta.model
    for name, field in form.fields.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            model_field = None
        ranges = [v for v in getattr(model_field, "validators", ()) if isinstance(v, Range)]
        if not ranges or not isinstance(field, forms.IntegerField | forms.FloatField):
            continue
        rng = ranges[0]
        whole = not isinstance(field, forms.FloatField)  # a FloatField is an IntegerField
        message = f"Enter a {'whole' if whole else 'finite'} number from {rng.text}."
        # Django's own checks (an unsigned column's minimum 0) would answer without the range.
        field.error_messages.update(invalid=message, min_value=message, max_value=message)
        if isinstance(field.widget, forms.NumberInput):
            field.widget.attrs.update(min=f"{rng.low:g}", max=f"{rng.high:g}")
            if not whole:
                field.widget.attrs["step"] = "any"
