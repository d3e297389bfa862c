"""The VM form and its disks (an inline formset)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from planner import bounds, ranges
from planner.models import Application, Disk, RestoreApproach, Subscription, VirtualMachine
from portal.forms.ranges import show_ranges


class VirtualMachineForm(forms.ModelForm):
    class Meta:
        model = VirtualMachine
        fields = [
            "application",
            "subscription",
            "resource_group",
            "name",
            "os_type",
            "size",
            "role",
            "scale_set",
            "keep_in_backup",
            "opted_in",
            "no_protection_why",
            "change_rate",
            "growth_per_year",
            "boot_group",
            "restore_approach",
            "depends_on",
        ]
        labels = {
            "application": "App",
            "opted_in": "Opt this VM in to protection",
            "keep_in_backup": "Keep this scale-set VM in backup storage",
            "no_protection_why": "Why this VM goes without protection",
            "change_rate": "Daily change rate",
            "growth_per_year": "Growth per year",
            "depends_on": "Needs these VMs running first",
            "restore_approach": "How a restore brings it back",
        }
        help_texts = {
            "change_rate": "Fraction of the used data changed per day: 0.05 = 5 %.",
            "growth_per_year": "Fraction of growth per year: 0.1 = 10 %.",
            "boot_group": "Leave empty to let the planner order start-up by role and "
            "dependencies (1 boots first, at most 7).",
            "depends_on": "VMs of the same app; dependencies on other apps' VMs are kept.",
            "keep_in_backup": "Scale-set VMs are ephemeral and left out of backup storage; "
            "tick to size and back up this one anyway.",
            "no_protection_why": "For a VM that is not opted in: the decision is recorded with "
            "your name and the date (e.g. 'stateless, redeployed from its template').",
        }
        widgets = {
            "depends_on": forms.SelectMultiple(attrs={"size": 6}),
            "no_protection_why": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, apps=None, **kwargs):
        super().__init__(*args, **kwargs)
        show_ranges(self)
        apps = apps if apps is not None else Application.objects.none()
        self.fields["application"].queryset = apps
        self.fields["subscription"].queryset = Subscription.objects.select_related("cloud")
        self.fields["size"].queryset = self.fields["size"].queryset.order_by("name")
        app_id = self.data.get(self.add_prefix("application")) if self.is_bound else None
        app_id = app_id or self.initial.get("application") or self.instance.application_id
        deps = VirtualMachine.objects.none()
        if app_id:
            # Only VMs of an app the user may change: a posted id of another owner's app must
            # not list that app's VMs (valid and invalid posts alike).
            deps = VirtualMachine.objects.filter(
                application_id=app_id, application__in=apps
            ).exclude(pk=self.instance.pk)
        self.fields["depends_on"].queryset = deps.order_by("name")
        self.fields["depends_on"].required = False
        # Empty keeps the VM's approach (a new VM: the whole VM, the model's default).
        self.fields["restore_approach"].required = False
        self._other_deps = []
        if self.instance.pk:
            self._other_deps = list(
                self.instance.depends_on.exclude(application_id=self.instance.application_id)
            )

    def clean_restore_approach(self):
        value = self.cleaned_data.get("restore_approach")
        return value or self.instance.restore_approach or RestoreApproach.WHOLE_VM

    # "The subscription is in the app's source cloud": VirtualMachine.clean.

    def _save_m2m(self):
        super()._save_m2m()
        if self._other_deps:  # dependencies on other apps' VMs are not in this form's list
            self.instance.depends_on.add(*self._other_deps)


class DiskForm(forms.ModelForm):
    class Meta:
        model = Disk
        fields = ["name", "lun", "provisioned_gib", "used_gib"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        show_ranges(self)


class BaseDiskFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        luns = [
            f.cleaned_data["lun"]
            for f in self.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("lun") is not None
        ]
        if len(luns) > ranges.MAX_DATA_DISKS:
            raise ValidationError(
                f"{len(luns)} data disks: a VM has at most {ranges.MAX_DATA_DISKS} "
                f"(LUN {bounds.LUN.text})."
            )
        twice = sorted({n for n in luns if luns.count(n) > 1})
        if twice:
            raise ValidationError(
                f"Two data disks are on LUN {', '.join(map(str, twice))}: one disk per LUN."
            )


DiskFormSet = inlineformset_factory(
    VirtualMachine,
    Disk,
    form=DiskForm,
    formset=BaseDiskFormSet,
    fields=["name", "lun", "provisioned_gib", "used_gib"],
    labels={"provisioned_gib": "Provisioned GiB", "used_gib": "Used GiB", "lun": "LUN"},
    extra=1,
    can_delete=True,
    # The OS disk and 64 data disks; a forged TOTAL_FORMS of 5,000 is refused, not created.
    max_num=ranges.MAX_DATA_DISKS + 1,
    validate_max=True,
    absolute_max=ranges.MAX_DATA_DISKS + 1,
)
