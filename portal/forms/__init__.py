"""The portal's forms: apps, VMs with their disks, inventory upload, what-if."""

from portal.forms.apps import ApplicationForm, DurationField
from portal.forms.inventory import InventoryUploadForm
from portal.forms.vms import DiskFormSet, VirtualMachineForm
from portal.forms.whatif import WhatIfForm

__all__ = [
    "ApplicationForm",
    "DiskFormSet",
    "DurationField",
    "InventoryUploadForm",
    "VirtualMachineForm",
    "WhatIfForm",
]
