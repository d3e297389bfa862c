"""parse_inventory: the az CLI's flattened JSON, the ARM REST shape and the documented CSV;
per-row errors with the reason; whole files refused with a message that says what to upload."""

import json

import pytest

from planner.services.inventory import (
    CSV_EXAMPLE,
    InventoryError,
    parse_arm,
    parse_disk_listing,
    parse_inventory,
)

AZ_CLI = [
    {
        "name": "sql-01",
        "resourceGroup": "rg-payroll",
        "location": "local",
        "hardwareProfile": {"vmSize": "Standard_E8_v3"},
        "storageProfile": {
            "osDisk": {"name": "sql-01_OsDisk", "osType": "Windows", "diskSizeGb": 127},
            "dataDisks": [
                {"lun": 0, "name": "sql-01_data0", "diskSizeGb": 512},
                {"lun": 1, "name": "sql-01_data1", "diskSizeGb": 256},
            ],
        },
        "tags": {"role": "database"},
        "powerState": "VM running",
    },
    {
        "name": "web-01",
        "resourceGroup": "rg-payroll",
        "hardwareProfile": {"vmSize": "Standard_D2_v2"},
        "storageProfile": {
            "osDisk": {"name": "web-01_OsDisk", "osType": "Linux", "diskSizeGb": 30},
            "dataDisks": [],
        },
    },
]

ARM = {
    "value": [
        {
            "id": "/subscriptions/x/resourceGroups/RG-Shop/providers/Microsoft.Compute/"
            "virtualMachines/app-01",
            "name": "app-01",
            "location": "local",
            "properties": {
                "hardwareProfile": {"vmSize": "Standard_D4_v2"},
                "storageProfile": {
                    "osDisk": {"name": "os", "osType": "Linux", "diskSizeGB": 64},
                    "dataDisks": [{"lun": 0, "name": "d0", "diskSizeGB": 1023}],
                },
            },
        }
    ]
}


def test_az_cli_shape():
    parsed = parse_inventory(json.dumps(AZ_CLI).encode(), "vms.json")
    assert parsed.format == "az-cli" and not parsed.errors
    sql, web = parsed.rows
    assert (sql.name, sql.resource_group, sql.os_type, sql.vm_size, sql.role) == (
        "sql-01",
        "rg-payroll",
        "windows",
        "Standard_E8_v3",
        "database",
    )
    assert [(d.name, d.lun, d.provisioned_gib) for d in sql.disks] == [
        ("sql-01_OsDisk", None, 127.0),
        ("sql-01_data0", 0, 512.0),
        ("sql-01_data1", 1, 256.0),
    ]
    assert web.os_type == "linux" and len(web.disks) == 1


def test_arm_shape_reads_properties_and_the_resource_group_from_the_id():
    parsed = parse_inventory(json.dumps(ARM).encode(), "arm.json")
    assert parsed.format == "arm"
    (row,) = parsed.rows
    assert row.resource_group == "RG-Shop" and row.vm_size == "Standard_D4_v2"
    assert [d.provisioned_gib for d in row.disks] == [64.0, 1023.0]


def test_documented_csv():
    parsed = parse_inventory(CSV_EXAMPLE.encode(), "vms.csv")
    assert parsed.format == "csv" and not parsed.errors
    sql, web = parsed.rows
    assert [d.provisioned_gib for d in sql.disks] == [127.0, 512.0, 512.0]
    assert sql.disks[2].lun == 1 and sql.role == "database" and web.os_type == "linux"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda vm: vm.pop("name"), "no name"),
        (lambda vm: vm.pop("resourceGroup"), "no resource group"),
        (lambda vm: vm["storageProfile"]["osDisk"].pop("osType"), "no OS type"),
        (lambda vm: vm["storageProfile"]["osDisk"].update(osType="Plan9"), "not Windows or Linux"),
        (lambda vm: vm["storageProfile"]["osDisk"].update(diskSizeGb=None), "has no size"),
        (lambda vm: vm["storageProfile"]["osDisk"].update(diskSizeGb=-5), "allowed range, 1 to"),
        (lambda vm: vm["storageProfile"]["osDisk"].update(diskSizeGb="big"), "not a number"),
        (lambda vm: vm.update(tags={"role": "boss"}), "role 'boss'"),
    ],
)
def test_bad_rows_are_rejected_with_the_reason(change, reason):
    vms = json.loads(json.dumps(AZ_CLI))
    change(vms[1])
    parsed = parse_inventory(json.dumps(vms).encode(), "vms.json")
    assert [r.name for r in parsed.rows] == ["sql-01"]
    (error,) = parsed.errors
    assert error.line == 2 and reason in error.reason


def test_duplicates_keep_the_first():
    parsed = parse_inventory(json.dumps([AZ_CLI[0], AZ_CLI[0]]).encode(), "vms.json")
    assert len(parsed.rows) == 1 and "listed twice" in parsed.errors[0].reason


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04", "vms.xlsx", "neither JSON nor CSV"),
        (b"\xff\xfe\x00bad", "vms.json", "not UTF-8"),
        (b"   ", "vms.json", "is empty"),
        (b"{not json", "vms.json", "not valid JSON"),
        (b'{"a": 1}', "vms.json", "not a list of VMs"),
        (b"name,os_type\nx,linux\n", "vms.csv", "lacks the column(s) resource_group"),
        (b"[" * 100_000, "deep.json", "not valid JSON"),
    ],
)
def test_wrong_files_are_refused_with_what_to_upload(data, name, message):
    with pytest.raises(InventoryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_inventory(data, name)


def test_csv_bad_row_names_its_line():
    text = CSV_EXAMPLE + "bad-01,rg,windows,,abc,\n"
    parsed = parse_inventory(text.encode(), "vms.csv")
    assert len(parsed.rows) == 2
    assert parsed.errors[0].line == 4 and "not a number" in parsed.errors[0].reason


# --- empty disk sizes: the disk resources fill them (az disk list), joined by disk id ---------

DISK_ID = "/subscriptions/s/resourceGroups/RG-PAY/providers/Microsoft.Compute/disks/{}"
NO_SIZES = [
    {
        "name": "pay-01",
        "resourceGroup": "rg-pay",
        "hardwareProfile": {"vmSize": "Standard_D2_v2"},
        "storageProfile": {
            "osDisk": {
                "name": "pay-01_OsDisk",
                "osType": "Windows",
                "diskSizeGb": None,
                "managedDisk": {"id": DISK_ID.format("pay-01_OsDisk")},
            },
            "dataDisks": [
                {
                    "lun": 0,
                    "name": "pay-01_data0",
                    "managedDisk": {"id": DISK_ID.format("pay-01_data0")},
                }
            ],
        },
    }
]
AZ_DISKS = [  # what 'az disk list --output json' prints (ids in another case, as ARM may)
    {"id": DISK_ID.format("pay-01_OsDisk").lower(), "name": "pay-01_OsDisk", "diskSizeGb": 127},
    {"id": DISK_ID.format("pay-01_data0").upper(), "name": "pay-01_data0", "diskSizeGb": 512},
    {"id": DISK_ID.format("unattached"), "name": "unattached", "diskSizeGb": 64},
]


def test_empty_disk_sizes_say_the_real_fix():
    parsed = parse_inventory(json.dumps(NO_SIZES).encode(), "vms.json")
    assert not parsed.rows
    (error,) = parsed.errors
    assert "az disk list --output json" in error.reason and "disk id" in error.reason
    assert "--show-details" not in error.reason


def test_disk_listing_fills_the_sizes_by_disk_id():
    sizes = parse_disk_listing(json.dumps(AZ_DISKS).encode(), "disks.json")
    parsed = parse_inventory(json.dumps(NO_SIZES).encode(), "vms.json", sizes)
    assert not parsed.errors
    (row,) = parsed.rows
    assert [(d.name, d.lun, d.provisioned_gib) for d in row.disks] == [
        ("pay-01_OsDisk", None, 127.0),
        ("pay-01_data0", 0, 512.0),
    ]


def test_arm_disk_listing_and_parse_arm():
    arm_disks = {
        "value": [
            {"id": d["id"], "name": d["name"], "properties": {"diskSizeGB": d["diskSizeGb"]}}
            for d in AZ_DISKS
        ]
    }
    sizes = parse_disk_listing(json.dumps(arm_disks).encode(), "disks.json")
    assert sizes[DISK_ID.format("pay-01_data0").lower()] == 512.0
    parsed = parse_arm(NO_SIZES, arm_disks["value"])
    assert parsed.format == "arm" and parsed.rows[0].disks[0].provisioned_gib == 127.0


def test_a_wrong_disk_listing_is_refused():
    with pytest.raises(InventoryError, match="not a list of disks"):
        parse_disk_listing(b'{"name": "x"}', "disks.json")
    with pytest.raises(InventoryError, match="not valid JSON"):
        parse_disk_listing(b"[{", "disks.json")
