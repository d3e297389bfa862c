"""The operators' interface: every model, with the columns, filters and links that matter."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from planner import bounds, ranges
from planner.exports import csv_response
from planner.models import (
    Application,
    AppResult,
    BackupPolicy,
    BackupTarget,
    Cloud,
    CloudKind,
    DirectoryIdentity,
    Disk,
    Drift,
    Drill,
    Finding,
    HubConnection,
    HubSync,
    Limit,
    Notification,
    PlanRevision,
    PlanState,
    PlanTransition,
    Price,
    Product,
    ResourceGroupClaim,
    RunChunk,
    RunError,
    Site,
    SizingRun,
    Subscription,
    TierServiceLevel,
    VirtualMachine,
    VmResult,
    VmSize,
    Waiver,
)
from planner.services import actions, decisions, hub


@admin.action(description="Export selected rows as CSV")
def export_csv(modeladmin, request, queryset):
    """Export the changelist's columns (plain fields and computed columns alike)."""
    columns = [c for c in modeladmin.get_list_display(request) if c != "action_checkbox"]
    opts = modeladmin.model._meta

    def label(col):
        if hasattr(modeladmin, col):
            return getattr(getattr(modeladmin, col), "short_description", col)
        try:
            return opts.get_field(col).verbose_name
        except Exception:
            return col

    def value(obj, col):
        if hasattr(modeladmin, col):
            v = getattr(modeladmin, col)(obj)
            return getattr(v, "csv_value", v) if not isinstance(v, str) else _strip_tags(v)
        v = getattr(obj, col)
        display = getattr(obj, f"get_{col}_display", None)
        return display() if display else v

    rows = ([value(obj, c) for c in columns] for obj in queryset.iterator(chunk_size=2000))
    return csv_response(f"{opts.model_name}.csv", [label(c) for c in columns], rows)


def _strip_tags(text: str) -> str:
    from django.utils.html import strip_tags

    return strip_tags(text)


class PlannerAdmin(admin.ModelAdmin):
    actions = [export_csv]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 10,000 VMs per page view is waste

    def get_search_results(self, request, queryset, search_term):
        """A search longer than ``bounds.SEARCH_MAX_LENGTH`` is refused with a message (SQLite
        gives up on a LIKE pattern of 50,000 characters: a 500)."""
        if len(search_term) > bounds.SEARCH_MAX_LENGTH:
            messages.error(
                request,
                f"The search is {len(search_term):,} characters long: search for at most "
                f"{bounds.SEARCH_MAX_LENGTH} (a name or a part of one).",
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class KeepsSignedPlans:
    """Deleting (one or many, or by cascade) must not reach a submitted or decided plan: the
    confirmation page lists them as protected and deletes nothing, instead of the 500 the
    models' ``RevisionLocked`` made (the API answers 409 for the same)."""

    plans_of = "application__in"  # how the admin's objects reach their plan revisions

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        kept = (
            PlanRevision.objects.filter(**{self.plans_of: [o.pk for o in objs]})
            .exclude(state=PlanState.DRAFT)
            .select_related("application")
            .order_by("application__name", "number")
        )
        protected = list(protected) + [
            f"{r.application} plan r{r.number} ({r.get_state_display().lower()}): submitted and "
            "signed plans, their audit trail and waivers are kept, so it cannot be deleted"
            for r in kept
        ]
        return deleted, counts, perms_needed, protected


@admin.register(Site)
class SiteAdmin(PlannerAdmin):
    list_display = ["name", "country", "city", "cloud_count"]
    list_filter = ["country"]
    search_fields = ["name", "city", "country"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_clouds=Count("clouds"))

    @admin.display(description="clouds", ordering="_clouds")
    def cloud_count(self, obj):
        return obj._clouds


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(Cloud)
class CloudAdmin(PlannerAdmin):
    list_display = [
        "name",
        "kind",
        "operated_by",
        "site",
        "nodes",
        "memory_per_node_gib",
        "available_memory",
        "app_count",
    ]
    list_filter = ["kind", "operated_by", "site__country"]
    search_fields = ["name", "region", "site__name"]
    autocomplete_fields = ["site"]
    inlines = [SubscriptionInline]
    readonly_fields = ["available_memory"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("site")
            .annotate(_apps=Count("applications"))
        )

    @admin.display(description="apps", ordering="_apps")
    def app_count(self, obj):
        return getattr(obj, "_apps", None)

    @admin.display(description="memory for tenant VMs (GiB)")
    def available_memory(self, obj):
        """The ASH compute capacity formula, with what runs on the stamp counted as the sizing
        run, the overview and the plans count it (planner.services.hub_capacity), for stamps only."""
        if obj.kind != "azure_stack_hub" or not obj.nodes or not obj.pk:
            return "—"
        from planner.services.hub_capacity import hub_figures

        hub = hub_figures([obj.pk], Limit.in_force()).get(obj.pk)
        if hub is None or hub.memory is None:
            return f"cannot compute: {hub.problem if hub else 'not a stamp'}"
        return f"{hub.available_gib:,.0f}"


@admin.register(Subscription)
class SubscriptionAdmin(PlannerAdmin):
    list_display = ["name", "subscription_id", "cloud", "vm_count"]
    list_filter = ["cloud"]
    search_fields = ["name", "subscription_id"]
    autocomplete_fields = ["cloud"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cloud").annotate(_vms=Count("vms"))

    @admin.display(description="VMs", ordering="_vms")
    def vm_count(self, obj):
        return obj._vms


@admin.register(BackupTarget)
class BackupTargetAdmin(PlannerAdmin):
    list_display = [
        "name",
        "kind",
        "site",
        "cloud",
        "capacity_gib",
        "used_gib",
        "needed_gib",
        "ingest_mbps",
        "restore_mbps",
        "streams",
        "continuous_external_copy",
    ]
    list_filter = ["kind", "continuous_external_copy", "site__country"]
    search_fields = ["name", "site__name", "cloud__name"]
    autocomplete_fields = ["site", "cloud"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("site", "cloud")
            .annotate(_needed=Sum("applications__result__backup_gib"))
        )

    @admin.display(description="needed by plans (GiB)", ordering="_needed")
    def needed_gib(self, obj):
        needed = getattr(obj, "_needed", None)
        return f"{needed:,.0f}" if needed is not None else "—"


@admin.register(Product)
class ProductAdmin(PlannerAdmin):
    list_display = [
        "name",
        "vendor",
        "level",
        "supports_windows",
        "supports_linux",
        "supports_backup_restore",
        "supports_replication",
        "supports_high_availability",
        "supports_fault_tolerance",
        "data_reduction",
        "chain",
    ]
    list_filter = ["vendor", "level", "supports_linux", "chain"]
    search_fields = ["name"]


@admin.register(VmSize)
class VmSizeAdmin(PlannerAdmin):
    list_display = ["name", "series", "vcpu", "memory_gib", "max_data_disks", "premium_storage"]
    list_filter = ["series", "premium_storage"]
    search_fields = ["name", "series"]


class CatalogAdmin(PlannerAdmin):
    list_display = ["key", "value", "unit", "effective_date", "description", "source"]
    list_filter = ["effective_date", "unit"]
    search_fields = ["key", "description", "source"]
    date_hierarchy = "effective_date"


@admin.register(Price)
class PriceAdmin(CatalogAdmin):
    pass


@admin.register(Limit)
class LimitAdmin(CatalogAdmin):
    pass


@admin.register(TierServiceLevel)
class TierServiceLevelAdmin(PlannerAdmin):
    """Default objectives per priority tier: a new app starts from its tier's; an app looser
    than its tier's gets the warning OBJECTIVES_LOOSER_THAN_TIER."""

    list_display = ["tier", "rto_minutes", "rpo_minutes", "mtpd_minutes"]


@admin.register(BackupPolicy)
class BackupPolicyAdmin(PlannerAdmin):
    list_display = [
        "name",
        "interval_minutes",
        "retention_points",
        "method",
        "full_every",
        "gfs_weekly",
        "gfs_monthly",
        "gfs_yearly",
        "reduction",
        "redundancy",
    ]
    list_filter = ["method", "redundancy"]
    search_fields = ["name"]


class VmInline(admin.TabularInline):
    model = VirtualMachine
    fields = ["name", "resource_group", "os_type", "size", "role", "scale_set", "opted_in"]
    autocomplete_fields = ["size"]
    show_change_link = True
    extra = 0
    max_num = 200  # the VM list page is the place for big apps

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("size", "subscription")


class ClaimInline(admin.TabularInline):
    model = ResourceGroupClaim
    fields = ["subscription", "resource_group"]
    extra = 0
    verbose_name_plural = "resource groups claimed (hub syncs add the VMs that appear in them)"


class DrillInline(admin.TabularInline):
    model = Drill
    extra = 0


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ["severity", "code", "message", "remedy", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(KeepsSignedPlans, PlannerAdmin):
    list_display = [
        "name",
        "owner",
        "tier",
        "scheme",
        "source_cloud",
        "recovery_target",
        "backup_target",
        "vm_total",
        "protected",
        "blocking",
        "monthly_cost",
    ]
    list_filter = ["tier", "scheme", "source_cloud", "recovery_target", "backup_target__kind"]
    search_fields = ["name", "owner__username", "description"]
    autocomplete_fields = [
        "owner",
        "source_cloud",
        "recovery_target",
        "backup_target",
        "policy",
        "product",
    ]
    readonly_fields = ["sizing_summary", "created_at", "changed_at"]
    inlines = [VmInline, ClaimInline, DrillInline, FindingInline]
    fieldsets = [
        (None, {"fields": ["name", "description", "owner", "tier"]}),
        ("Objectives", {"fields": ["rto_minutes", "rpo_minutes", "mtpd_minutes"]}),
        (
            "Protection",
            {
                "fields": [
                    "scheme",
                    "source_cloud",
                    "recovery_target",
                    "backup_target",
                    "policy",
                    "product",
                    "native_ha",
                    "link_mbps",
                    "link_other_mbps",
                    "replication_interval_minutes",
                    "growth_horizon_days",
                    "manual_steps",
                ]
            },
        ),
        (
            "Sovereignty",
            {"fields": ["allow_azure", "allow_service_provider", "allowed_countries"]},
        ),
        (
            "Decision to go without protection",
            {"fields": ["no_protection_by", "no_protection_at", "no_protection_why"]},
        ),
        ("Latest sizing", {"fields": ["sizing_summary", "created_at", "changed_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        # An edit re-sizes the app (coalesced: ten quick edits make one run); its inlines are
        # saved next, in the same transaction, before the run is dispatched.
        actions.save_app(obj, request.user)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("owner", "source_cloud", "recovery_target", "backup_target", "result")
            .annotate(
                _vms=Count("vms", distinct=True),
                _protected=Count("vms", filter=Q(vms__opted_in=True), distinct=True),
            )
        )

    @admin.display(description="VMs", ordering="_vms")
    def vm_total(self, obj):
        return obj._vms

    @admin.display(description="opted in", ordering="_protected")
    def protected(self, obj):
        return obj._protected

    @admin.display(description="blocking findings", ordering="result__blocking_count")
    def blocking(self, obj):
        result = getattr(obj, "result", None)
        return result.blocking_count if result else "—"

    @admin.display(description="USD / month", ordering="result__monthly_cost")
    def monthly_cost(self, obj):
        result = getattr(obj, "result", None)
        return f"{result.monthly_cost:,.2f}" if result else "—"

    @admin.display(description="sizing")
    def sizing_summary(self, obj):
        result = AppResult.objects.filter(application=obj).first()
        if not result:
            return "Not sized yet."
        detail = result.detail
        rec = detail.get("recommendation") or {}
        cap = detail.get("capability") or {}
        boot = detail.get("boot") or {}
        sections = [
            ("Sizing", detail.get("explanation", [])),
            ("Capability of the chosen scheme", cap.get("explanation", [])),
            (f"Recommended scheme: {rec.get('scheme') or 'none fits'}", rec.get("reasons", [])),
            ("Failover order", boot.get("failover", [])),
            ("Onboarding", (detail.get("schedule") or {}).get("explanation", [])),
            ("Drills", (detail.get("drills") or {}).get("explanation", [])),
        ]
        body = format_html_join(
            "", "<h4>{}</h4><pre>{}</pre>", ((title, "\n".join(lines)) for title, lines in sections)
        )
        return format_html(
            "<div>{} of {} VMs opted in; backup {} GiB; replica {} GiB; {} USD/month; "
            "{} blocking findings; computed {} (engine {}, prices {}, limits {})</div>{}",
            result.protected_vm_count,
            result.vm_count,
            f"{result.backup_gib:,.0f}",
            f"{result.replica_gib:,.0f}",
            f"{result.monthly_cost:,.2f}",
            result.blocking_count,
            result.computed_at,
            result.engine_version,
            result.prices_version,
            result.limits_version,
            body,
        )


class DiskInline(admin.TabularInline):
    model = Disk
    extra = 0
    max_num = ranges.MAX_DATA_DISKS + 1  # the OS disk and 64 data disks


@admin.register(VirtualMachine)
class VirtualMachineAdmin(PlannerAdmin):
    list_display = [
        "name",
        "application",
        "subscription",
        "resource_group",
        "os_type",
        "size",
        "role",
        "scale_set",
        "opted_in",
        "no_protection_at",
        "used_gib",
    ]
    list_filter = ["opted_in", "os_type", "role", "application__tier", "subscription__cloud"]
    list_select_related = ["application", "subscription__cloud", "size"]
    search_fields = ["name", "resource_group", "application__name", "scale_set"]
    autocomplete_fields = ["application", "subscription", "size", "depends_on"]
    readonly_fields = ["used_gib", "sizing", "no_protection_by", "no_protection_at"]
    inlines = [DiskInline]

    def save_model(self, request, obj, form, change):
        before = form.initial.get("no_protection_why", "") if change else ""
        decisions.stamp_vm_decision(obj, request.user, before=before)
        # Re-sizes every app the VM touched: the one it left as well when it moved.
        actions.save_vm(obj, request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_used=Sum("disks__used_gib"))

    @admin.display(description="used GiB", ordering="_used")
    def used_gib(self, obj):
        used = getattr(obj, "_used", None)
        return f"{used:,.0f}" if used is not None else "—"

    @admin.display(description="sizing")
    def sizing(self, obj):
        result = VmResult.objects.filter(vm=obj).first()
        if not result:
            return "Not sized yet."
        return format_html("<pre>{}</pre>", "\n".join(result.explanation))


@admin.register(Disk)
class DiskAdmin(PlannerAdmin):
    list_display = ["name", "vm", "lun", "provisioned_gib", "used_gib"]
    list_select_related = ["vm"]
    search_fields = ["name", "vm__name"]
    autocomplete_fields = ["vm"]


@admin.register(Drill)
class DrillAdmin(PlannerAdmin):
    list_display = [
        "application",
        "kind",
        "started_at",
        "restored_at",
        "recovery",
        "data_loss_minutes",
    ]
    list_filter = ["kind"]
    list_select_related = ["application"]
    search_fields = ["application__name", "notes"]
    autocomplete_fields = ["application"]
    date_hierarchy = "started_at"

    def save_model(self, request, obj, form, change):
        actions.save_drill(obj, request.user)

    @admin.display(description="recovery (min)")
    def recovery(self, obj):
        return round((obj.restored_at - obj.started_at).total_seconds() / 60)


class RunErrorInline(admin.TabularInline):
    model = RunError
    fields = ["application", "vm", "chunk_index", "message", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class ReadOnlyAdmin(PlannerAdmin):
    """Results are written by the sizing services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SizingRun)
class SizingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "application",
        "trigger",
        "status",
        "progress",
        "created_at",
        "duration",
        "engine_version",
        "prices_version",
    ]
    list_filter = ["status", "trigger"]
    list_select_related = ["application"]
    search_fields = ["application__name"]
    inlines = [RunErrorInline]

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.done_vms:,} / {obj.total_vms:,} VMs ({obj.percent} %)"

    @admin.display(description="seconds")
    def duration(self, obj):
        d = obj.duration_seconds
        return f"{d:.1f}" if d is not None else "—"


@admin.register(RunChunk)
class RunChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "index", "vm_count", "status", "attempts", "finished_at"]
    list_filter = ["status"]


@admin.register(AppResult)
class AppResultAdmin(ReadOnlyAdmin):
    list_display = [
        "application",
        "protected_vm_count",
        "backup_gib",
        "replica_gib",
        "bandwidth_mbps",
        "monthly_cost",
        "recommended_scheme",
        "blocking_count",
        "compliant",
        "computed_at",
    ]
    list_filter = ["compliant", "recommended_scheme"]
    list_select_related = ["application"]
    search_fields = ["application__name"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["application", "severity", "code", "message_link"]
    list_filter = ["severity", "code"]
    list_select_related = ["application"]
    search_fields = ["application__name", "code", "message"]

    @admin.display(description="message")
    def message_link(self, obj):
        url = reverse("admin:planner_application_change", args=[obj.application_id])
        return format_html('<a href="{}">{}</a>', url, obj.message[:160])


class TransitionInline(admin.TabularInline):
    model = PlanTransition
    fields = ["at", "by", "from_state", "to_state", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class WaiverInline(admin.TabularInline):
    model = Waiver
    fields = ["code", "by", "at", "justification"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PlanRevision)
class PlanRevisionAdmin(KeepsSignedPlans, ReadOnlyAdmin):
    plans_of = "pk__in"

    list_display = ["application", "number", "state", "created_by", "created_at", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["application", "created_by", "decided_by"]
    search_fields = ["application__name", "sha256"]
    inlines = [TransitionInline, WaiverInline]
    exclude = ["snapshot"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox: e-mail still pending (SMTP down?) shows here with its last error."""

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "subject", "event_key"]
    exclude = ["html"]


@admin.register(DirectoryIdentity)
class DirectoryIdentityAdmin(ReadOnlyAdmin):
    """Who signs in through the directory, and their groups at the last sign-in."""

    list_display = ["user", "subject", "issuer", "last_seen"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]


# --- hubs: connections to Azure Resource Manager, their syncs and the drift they found ---------


class HubConnectionForm(forms.ModelForm):
    class Meta:
        model = HubConnection
        fields = "__all__"  # noqa: DJ007 (the admin lists the fields)

    def clean(self):
        data = super().clean()
        cloud, subs = data.get("cloud"), data.get("subscriptions")
        if cloud is not None and cloud.kind != CloudKind.AZURE_STACK_HUB:
            self.add_error("cloud", "Connect an Azure Stack Hub cloud (its ARM endpoint).")
        if cloud is not None and subs:
            wrong = [str(s) for s in subs if s.cloud_id != cloud.pk]
            if wrong:
                self.add_error(
                    "subscriptions",
                    f"Pick subscriptions of {cloud}: {', '.join(wrong)} belong to another cloud.",
                )
        return data


def _sync_progress(obj: HubSync) -> str:
    return (
        f"{obj.subscriptions_done} / {obj.subscriptions_total} subscriptions, "
        f"{obj.vms_read:,} VMs read" + (f" ({obj.step})" if obj.step else "")
    )


@admin.action(description="Test connection (secret, name, TLS, credentials, permissions)")
def test_connection(modeladmin, request, queryset):
    for conn in queryset:
        checks = hub.check_connection(conn)
        failed = next((c for c in checks if not c.ok), None)
        if failed:
            modeladmin.message_user(
                request,
                f"{conn}: failed at {failed.step}. {failed.message}",
                messages.ERROR,
            )
        else:
            modeladmin.message_user(
                request,
                f"{conn}: connection works. " + " ".join(c.message for c in checks),
                messages.SUCCESS,
            )


@admin.action(description="Sync now (on the sizing worker)")
def sync_now(modeladmin, request, queryset):
    for conn in queryset:
        sync = hub.request_sync(conn, "manual", request.user)
        link = reverse("admin:planner_hubsync_change", args=[sync.pk])
        modeladmin.message_user(
            request,
            format_html('{}: sync <a href="{}">{}</a> is {}.', conn, link, sync.pk, sync.status),
            messages.INFO,
        )


@admin.register(HubConnection)
class HubConnectionAdmin(PlannerAdmin):
    form = HubConnectionForm
    list_display = ["name", "cloud", "arm_endpoint", "sync_enabled", "status", "last_synced_at"]
    list_filter = ["status", "sync_enabled", "cloud"]
    search_fields = ["name", "arm_endpoint"]
    filter_horizontal = ["subscriptions"]
    actions = [test_connection, sync_now, export_csv]
    readonly_fields = [
        "status",
        "status_message",
        "checked_at",
        "last_synced_at",
        "api_versions",
        "recent_syncs",
    ]
    fieldsets = [
        (None, {"fields": ["name", "cloud", "arm_endpoint", "ca_bundle"]}),
        ("Service principal", {"fields": ["tenant_id", "client_id", "secret_from"]}),
        ("What to read", {"fields": ["subscriptions", "sync_enabled"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "status_message",
                    "checked_at",
                    "last_synced_at",
                    "api_versions",
                    "recent_syncs",
                ]
            },
        ),
    ]

    @admin.display(description="recent syncs")
    def recent_syncs(self, obj):
        syncs = obj.syncs.order_by("-requested_at", "-id")[:10] if obj.pk else []
        return (
            format_html_join(
                "",
                '<p><a href="{}">{} {}</a>: {}, {}. {}</p>',
                (
                    (
                        reverse("admin:planner_hubsync_change", args=[s.pk]),
                        s.get_trigger_display(),
                        f"{s.requested_at:%Y-%m-%d %H:%M}",
                        s.get_status_display(),
                        _sync_progress(s),
                        s.message,
                    )
                    for s in syncs
                ),
            )
            or "—"
        )

    @admin.display(description="API versions")
    def api_versions(self, obj):
        return ", ".join(f"{k}: {v}" for k, v in hub.api_versions().items())


@admin.register(HubSync)
class HubSyncAdmin(ReadOnlyAdmin):
    list_display = ["id", "connection", "trigger", "status", "progress", "requested_at"]
    list_filter = ["status", "trigger", "connection"]
    list_select_related = ["connection"]

    @admin.display(description="progress")
    def progress(self, obj):
        return _sync_progress(obj)


@admin.register(Drift)
class DriftAdmin(ReadOnlyAdmin):
    list_display = [
        "vm_name",
        "application",
        "kind",
        "resource_group",
        "detail",
        "detected_at",
        "reviewed_at",
    ]
    list_filter = ["kind", ("reviewed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["application"]
    search_fields = ["vm_name", "application__name", "resource_group"]


@admin.register(ResourceGroupClaim)
class ResourceGroupClaimAdmin(PlannerAdmin):
    list_display = ["resource_group", "subscription", "application"]
    list_filter = ["subscription"]
    list_select_related = ["subscription__cloud", "application"]
    search_fields = ["resource_group", "application__name"]
    autocomplete_fields = ["application"]
