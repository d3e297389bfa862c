"""The inventory upload: a file, the app and subscription it goes into, the fill ratio."""

from __future__ import annotations

from django import forms
from django.conf import settings

from planner.models import Application, Subscription
from planner.models.estate import subscription_error
from planner.services.inventory import CSV_COLUMNS, DEFAULT_FILL_RATIO


class InventoryUploadForm(forms.Form):
    file = forms.FileField(
        label="Inventory file",
        help_text=(
            "The JSON that “az vm list --output json” prints (or an ARM REST response), or a "
            "CSV with the header " + ",".join(CSV_COLUMNS) + "."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.txt"}),
    )
    disks = forms.FileField(
        required=False,
        label="Disks (optional)",
        help_text=(
            "The JSON that “az disk list --output json” prints: the sizes of managed disks, "
            "which the VM listing often leaves empty, joined to the VMs by disk id."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".json"}),
    )
    application = forms.ModelChoiceField(
        queryset=Application.objects.none(), label="Into app", empty_label="Choose an app…"
    )
    subscription = forms.ModelChoiceField(
        queryset=Subscription.objects.select_related("cloud"),
        help_text="The subscription the VMs run in (in the app's source cloud).",
        empty_label="Choose a subscription…",
    )
    fill_ratio = forms.FloatField(
        initial=DEFAULT_FILL_RATIO,
        min_value=0.01,
        max_value=1,
        label="Fill ratio",
        help_text="Azure does not report used space: a new disk's used GiB is assumed to be "
        "its provisioned size × this ratio (0.6 = 60 %).",
    )
    opt_in = forms.BooleanField(
        required=False,
        label="Opt the new VMs in to protection",
        help_text="Protection is opt-in per VM; you can also opt VMs in later on the app's page.",
    )

    def __init__(self, *args, apps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if apps is not None:
            self.fields["application"].queryset = apps

    def clean_file(self):
        return _within_limit(self.cleaned_data["file"])

    def clean_disks(self):
        upload = self.cleaned_data.get("disks")
        return _within_limit(upload) if upload else None

    def clean(self):
        data = super().clean()
        app, sub = data.get("application"), data.get("subscription")
        if app and sub and subscription_error(app, sub):
            self.add_error("subscription", subscription_error(app, sub))
        return data


def _within_limit(upload):
    limit = settings.INVENTORY_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise forms.ValidationError(
            f"The file is {upload.size / 1_048_576:.1f} MiB; the limit is "
            f"{limit / 1_048_576:.1f} MiB. Split the inventory (e.g. one file per resource "
            "group) and import the parts one after another."
        )
    return upload
