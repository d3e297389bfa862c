"""VM pages: the estate-wide list, detail (disks, sizing and its arithmetic), create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from planner.models import VirtualMachine
from planner.services import actions
from planner.services.decisions import stamp_vm_decision
from portal import access
from portal.filtersets import VirtualMachineFilterSet
from portal.forms import DiskFormSet, VirtualMachineForm
from portal.tables import VirtualMachineTable
from portal.views.lists import list_page


@login_required
def vm_list(request):
    user = request.user
    exclude = () if access.can_create(user) else ("select",)
    return list_page(
        request,
        queryset=VirtualMachine.objects.for_user(user),
        filterset_class=VirtualMachineFilterSet,
        table_class=VirtualMachineTable,
        template="portal/vm_list.html",
        export_filename="vms.csv",
        exclude=exclude,
        context={"can_create": access.can_create(user)},
    )


@login_required
def vm_detail(request, pk):
    vm = access.vm_for_user(
        request.user,
        pk,
        VirtualMachine.objects.select_related(
            "application__owner", "subscription__cloud", "size", "result", "no_protection_by"
        ),
    )
    return render(
        request,
        "portal/vm_detail.html",
        {
            "vm": vm,
            "app": vm.application,
            "result": getattr(vm, "result", None),
            "disks": list(vm.disks.all()),
            "depends_on": list(vm.depends_on.select_related("application")),
            "dependents": list(vm.dependents.select_related("application")),
            "can_change": access.can_change(request.user, vm.application),
        },
    )


def _vm_form_page(request, vm, initial=None):
    apps = access.changeable_apps(request.user)
    if request.method == "POST":
        before = vm.no_protection_why
        form = VirtualMachineForm(request.POST, instance=vm, apps=apps)
        disks = DiskFormSet(request.POST, instance=vm)
        if form.is_valid() and disks.is_valid():

            def save():
                stamp_vm_decision(form.instance, request.user, before=before)
                saved = form.save()
                disks.instance = saved
                disks.save()
                return saved

            # Re-sizes every app the VM touched: the one it left as well when it moved.
            vm = actions.save_vm(vm, request.user, save)
            messages.success(request, f"VM '{vm}' saved; the app's sizing will be updated.")
            return redirect(vm)
    else:
        form = VirtualMachineForm(instance=vm, apps=apps, initial=initial)
        disks = DiskFormSet(instance=vm)
    return render(request, "portal/vm_form.html", {"form": form, "disks": disks, "vm": vm})


@login_required
def vm_create(request):
    if not access.can_create(request.user):
        raise PermissionDenied("Only app owners and operators add VMs.")
    initial = {}
    app_id = request.GET.get("app")
    if app_id and app_id.isdigit():
        app = access.app_for_change(request.user, int(app_id))
        initial["application"] = app.pk
        sub = app.source_cloud.subscriptions.first()
        if sub:
            initial["subscription"] = sub.pk
    return _vm_form_page(request, VirtualMachine(), initial)


@login_required
def vm_edit(request, pk):
    vm = access.vm_for_change(request.user, pk)
    return _vm_form_page(request, vm)
