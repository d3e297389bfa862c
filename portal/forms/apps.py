"""The app form: objectives as durations, sovereignty, and only the choices the rules allow.

The recovery targets, backup targets and products offered are those the rules accept for the
app as the form currently stands (source cloud, sovereignty, scheme, the app's VMs), judged by
``planner.rules.eligibility``, the same functions the rules engine uses; the others are listed
under the field with the reason. The seed's text for the chosen source/target combination comes
from ``planner.rules.topology.COMBINATIONS``.
"""

from __future__ import annotations

import math

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from planner import bounds, facts, ranges
from planner.models import (
    Application,
    BackupTarget,
    Cloud,
    CloudKind,
    HaReplication,
    Product,
    Scheme,
    TierServiceLevel,
    VirtualMachine,
)
from planner.rules.eligibility import backup_target_reasons, cloud_reasons, product_reasons
from planner.rules.topology import COMBINATIONS, combination_key
from planner.services.facts import cloud_facts, product_facts, target_facts
from planner.units import fmt_duration, parse_duration
from portal.forms.ranges import show_ranges

# The fields whose change alters what the form may offer: the page re-renders the form (htmx).
REFRESH_FIELDS = (
    "source_cloud",
    "allow_azure",
    "allow_service_provider",
    "allowed_countries",
    "scheme",
    "recovery_target",
)


class DurationField(forms.CharField):
    """Minutes in the model, written and read as "90 min", "4 h", "2 d"."""

    def __init__(self, *, max_minutes: int = ranges.TEN_YEARS_MINUTES, **kwargs):
        self.max_minutes = max_minutes
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "e.g. 90 min, 4 h, 1 d"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return fmt_duration(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            minutes = parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc).capitalize() + ".", code="invalid") from None
        if not math.isfinite(minutes) or minutes > self.max_minutes:
            raise ValidationError(
                f"{value!r} is longer than {fmt_duration(self.max_minutes)}: "
                "write a shorter duration.",
                code="max",
            )
        return round(minutes)


class ApplicationForm(forms.ModelForm):
    rto_minutes = DurationField(
        label="RTO", help_text="Longest acceptable downtime after an incident, e.g. 90 min, 4 h."
    )
    rpo_minutes = DurationField(
        label="RPO", help_text="Most data you can afford to lose, e.g. 15 min, 1 d."
    )
    mtpd_minutes = DurationField(
        label="MTPD",
        required=False,
        help_text="Optional: maximum tolerable period of disruption; the RTO must fit within it.",
    )
    replication_interval_minutes = DurationField(
        label="Replication interval",
        help_text="How often replicas are updated, e.g. 15 min (at most 1 d).",
        max_minutes=bounds.REPLICATION_INTERVAL_MINUTES.high,
    )

    class Meta:
        model = Application
        fields = [
            "name",
            "description",
            "tier",
            "rto_minutes",
            "rpo_minutes",
            "mtpd_minutes",
            "source_cloud",
            "allow_azure",
            "allow_service_provider",
            "allowed_countries",
            "scheme",
            "native_ha",
            "ha_replication",
            "recovery_target",
            "backup_target",
            "policy",
            "product",
            "link_mbps",
            "link_other_mbps",
            "replication_interval_minutes",
            "growth_horizon_days",
            "manual_steps",
            "no_protection_why",
        ]
        labels = {
            "allow_azure": "Global Azure may hold this app's data",
            "allow_service_provider": "A trusted service provider may hold this app's data",
            "allowed_countries": "Countries the data may be stored in",
            "native_ha": "The app supports HA natively or through clustering software",
            "ha_replication": "How the app's HA replicates",
            "link_mbps": "Replication link (Mbit/s)",
            "link_other_mbps": "Other traffic on the link (Mbit/s)",
            "growth_horizon_days": "Sizing horizon (days)",
            "no_protection_why": "Why this app goes without protection",
            "policy": "Backup policy",
            "product": "Protection product",
        }
        help_texts = {
            "allowed_countries": "Two-letter ISO codes separated by commas, e.g. DE, AT. "
            "Empty: any country.",
            "no_protection_why": "Needed when the scheme is “No recovery”: the decision is "
            "recorded with your name and the date.",
            "manual_steps": "One manual failover step per line.",
            "allow_azure": "",
            "allow_service_provider": "",
            "native_ha": "Needed for high availability and fault tolerance.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "manual_steps": forms.Textarea(attrs={"rows": 3}),
            "no_protection_why": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        show_ranges(self)
        self.user = user
        self.refresh = False
        # Empty means no other traffic on the link (the model's default, 0 Mbit/s).
        self.fields["link_other_mbps"].required = False
        self.fields["source_cloud"].queryset = Cloud.objects.filter(
            kind=CloudKind.AZURE_STACK_HUB
        ).select_related("site")
        self.fields["source_cloud"].help_text = "The Azure Stack Hub cloud the app's VMs run in."
        self.fields["source_cloud"].empty_label = "Choose the source cloud…"
        for name in REFRESH_FIELDS:
            self.fields[name].widget.attrs["data-refresh"] = "1"
        if not self.instance.pk:
            self._start_from_tier()
        # Scripts and older forms that do not send it keep the model's default (synchronous).
        self.fields["ha_replication"].required = False
        self.not_offered: dict[str, list[str]] = {}
        self._limit_choices()

    def _start_from_tier(self) -> None:
        """A new app starts from its tier's service level: shown as the initial objectives, and
        an objective left empty takes the tier's (the seed: an SLA by priority of the apps)."""
        tier = self._raw("tier") or self.initial.get("tier") or self.fields["tier"].initial
        level = TierServiceLevel.for_tier(tier or 2)
        self.tier_level = level
        for name in ("rto_minutes", "rpo_minutes"):
            self.fields[name].required = False
            self.fields[name].help_text += " Empty: the tier's default, when operators set one."
        if level is not None and not self.is_bound:
            self.initial.setdefault("rto_minutes", level.rto_minutes)
            self.initial.setdefault("rpo_minutes", level.rpo_minutes)
            if level.mtpd_minutes is not None:
                self.initial.setdefault("mtpd_minutes", level.mtpd_minutes)

    # --- the form's current state, bound or not -------------------------------------------------

    def _raw(self, name: str):
        if self.is_bound:
            key = self.add_prefix(name)
            if isinstance(self.fields[name], forms.BooleanField):
                return self.data.get(key) in ("on", "true", "True", "1")
            return self.data.get(key) or None
        value = self.initial.get(name)
        if value is None and name in ("source_cloud", "recovery_target"):
            value = getattr(self.instance, f"{name}_id", None)
        return value

    def _state(self) -> facts.App:
        clouds = {c.pk: c for c in Cloud.objects.select_related("site")}
        self._clouds = clouds
        source = clouds.get(_int(self._raw("source_cloud")))
        kinds = {CloudKind.AZURE_STACK_HUB.value}
        if self._raw("allow_azure"):
            kinds.add(CloudKind.AZURE.value)
        if self._raw("allow_service_provider"):
            kinds.add(CloudKind.SERVICE_PROVIDER.value)
        raw_countries = self._raw("allowed_countries") or ""
        countries = frozenset(c.strip().upper() for c in raw_countries.split(",") if c.strip())
        vms = ()
        if self.instance.pk:
            vms = tuple(
                facts.Vm(id=pk, name=name, app_id=self.instance.pk, os_type=os, opted_in=True)
                for pk, name, os in VirtualMachine.objects.filter(
                    application=self.instance, opted_in=True
                ).values_list("pk", "name", "os_type")
            )
        return facts.App(
            id=self.instance.pk or 0,
            name=self._raw("name") or "this app",
            scheme=self._raw("scheme") or Scheme.BACKUP_RESTORE,
            source_cloud=cloud_facts(source) if source else None,
            allowed_target_kinds=frozenset(kinds),
            allowed_countries=countries,
            vms=vms,
        )

    def _limit_choices(self) -> None:
        app = self._state()
        self.app_state = app
        allowed, refused = [], []
        for cloud in self._clouds.values():
            reasons = cloud_reasons(app, cloud_facts(cloud))
            if reasons:
                refused.append(f"{cloud.name}: {'; '.join(reasons)}")
            else:
                allowed.append(cloud.pk)
        self._offer("recovery_target", Cloud.objects.filter(pk__in=allowed), refused)
        allowed, refused = [], []
        for t in BackupTarget.objects.select_related("site", "cloud__site"):
            reasons = backup_target_reasons(app, target_facts(t))
            if reasons:
                refused.append(f"{t.name}: {'; '.join(reasons)}")
            else:
                allowed.append(t.pk)
        self._offer("backup_target", BackupTarget.objects.filter(pk__in=allowed), refused)
        allowed, refused = [], []
        if app.scheme in facts.PROTECTING_SCHEMES:
            for p in Product.objects.all():
                reasons = product_reasons(product_facts(p), app.scheme, app.vms)
                if reasons:
                    refused.append(f"{p.name}: {'; '.join(reasons)}")
                else:
                    allowed.append(p.pk)
        self._offer("product", Product.objects.filter(pk__in=allowed), refused)

    def _offer(self, name: str, queryset, refused: list[str]) -> None:
        field = self.fields[name]
        field.queryset = queryset
        field.error_messages["invalid_choice"] = (
            "This choice is not allowed for this app as it stands: pick one from the list "
            "(the reasons the others are not offered are shown below it)."
        )
        self.not_offered[name] = refused

    @property
    def combination(self) -> str:
        """The seed's explanation of the chosen source/target combination, or ""."""
        app = self.app_state
        target = self._clouds.get(_int(self._raw("recovery_target")))
        if app.source_cloud is None or target is None:
            return ""
        return COMBINATIONS.get(combination_key(app.source_cloud, cloud_facts(target)), "")

    # --- validation -----------------------------------------------------------------------------

    def clean_link_other_mbps(self):
        value = self.cleaned_data.get("link_other_mbps")
        return 0.0 if value is None else value

    def clean_ha_replication(self):
        return self.cleaned_data.get("ha_replication") or (
            self.instance.ha_replication or HaReplication.SYNCHRONOUS
        )

    def clean(self):
        data = super().clean()
        scheme = data.get("scheme")
        why = (data.get("no_protection_why") or "").strip()
        if scheme == Scheme.NONE and why:
            if why != self.instance.no_protection_why or not self.instance.no_protection_by_id:
                self.instance.no_protection_by = self.user
                self.instance.no_protection_at = timezone.now()
        elif scheme == Scheme.NONE and not why:
            self.add_error(
                "no_protection_why",
                "Going without protection is an explicit decision: say why (e.g. “dev/test, "
                "rebuilt from templates”), or choose a protection scheme.",
            )
        elif scheme != Scheme.NONE:
            self.instance.no_protection_by = None
            self.instance.no_protection_at = None
            data["no_protection_why"] = ""
        if not self.instance.pk:
            level = TierServiceLevel.for_tier(data.get("tier"))
            for name in ("rto_minutes", "rpo_minutes"):
                if data.get(name) is not None or name in self.errors:
                    continue
                if level is None:
                    self.add_error(
                        name,
                        "Enter this objective: operators have set no default for this tier.",
                    )
                else:
                    data[name] = getattr(level, name)
        return data  # "RTO within MTPD": Application.clean


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
