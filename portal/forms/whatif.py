"""The what-if form on the app page: every field is optional; empty keeps the saved value."""

from __future__ import annotations

from django import forms

from planner import bounds
from planner.models import BackupPolicy, BackupTarget, Cloud, Scheme


class WhatIfForm(forms.Form):
    scheme = forms.ChoiceField(choices=[("", "as saved"), *list(Scheme.choices)], required=False)
    recovery_target = forms.ModelChoiceField(
        queryset=Cloud.objects.select_related("site"), required=False, empty_label="as saved"
    )
    backup_target = forms.ModelChoiceField(
        queryset=BackupTarget.objects.select_related("site", "cloud__site"),
        required=False,
        empty_label="as saved",
    )
    policy = forms.ModelChoiceField(
        queryset=BackupPolicy.objects.all(),
        required=False,
        empty_label="as saved",
        label="Backup policy",
    )
    retention_points = forms.IntegerField(
        min_value=bounds.RETENTION_POINTS.low,
        max_value=bounds.RETENTION_POINTS.high,
        required=False,
        label="Retention points",
    )
    link_mbps = forms.FloatField(
        min_value=bounds.LINK_MBPS.low,
        max_value=bounds.LINK_MBPS.high,
        required=False,
        label="Link (Mbit/s)",
    )
    growth_percent = forms.FloatField(
        min_value=bounds.GROWTH_PER_YEAR.low * 100,
        max_value=bounds.GROWTH_PER_YEAR.high * 100,
        required=False,
        label="Growth per year (%)",
        help_text="Applied to every VM of the app.",
    )

    def changes(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
