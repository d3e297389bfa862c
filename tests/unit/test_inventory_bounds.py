"""Every inventory row the database or the engine would refuse is a rejected row with its reason
(issue 15): CSV cells longer than the csv module reads, JSON Infinity and NaN, LUNs 1e20, -1 and
70,000, 5,000-character names, NUL bytes, 5,000 disks on one VM. The other rows of the file are
read as usual. ``BAD_FILES`` is shared with the portal's and the API's import tests, which check
the same files end to end (preview says "reject", the commit imports the rest).
"""

from __future__ import annotations

import json

import pytest

from planner import bounds
from planner.services.inventory import CSV_CELL_LIMIT, parse_inventory
from tests.unit.test_inventory_parse import AZ_CLI

GOOD = AZ_CLI[0]  # sql-01: always read, whatever the bad row next to it


def _json_with(bad: dict, raw: str | None = None) -> bytes:
    """A JSON file: sql-01, then ``bad`` (a web-01 changed); ``raw`` replaces a marker with text
    json.dumps cannot write (Infinity is what Python writes, NaN too; 1e999 is read as inf)."""
    text = json.dumps([GOOD, bad])
    if raw is not None:
        text = text.replace('"@RAW@"', raw)
    return text.encode()


def _vm(**changes) -> dict:
    vm = json.loads(json.dumps(AZ_CLI[1]))
    vm.update(changes)
    return vm


def _with_data_disks(disks: list) -> dict:
    vm = _vm()
    vm["storageProfile"]["dataDisks"] = disks
    return vm


CSV_HEAD = "name,resource_group,os_type,vm_size,os_disk_gib,data_disks_gib\n"
CSV_GOOD = "sql-01,rg-payroll,windows,Standard_E8_v3,127,512;256\n"

# (id, file name, content, the bad row's name as shown, words of the reason)
BAD_FILES = [
    (
        "csv-cell-over-131072",
        "vms.csv",
        (CSV_HEAD + CSV_GOOD + "web-01,rg-payroll,linux,," + "9" * 140_000 + ",\n").encode(),
        "",
        f"no cell may be longer than {CSV_CELL_LIMIT:,} characters",
    ),
    (
        "json-lun-infinity",
        "vms.json",
        _json_with(_with_data_disks([{"lun": "@RAW@", "name": "d", "diskSizeGb": 8}]), "Infinity"),
        "web-01",
        "the LUN: inf is not a finite number",
    ),
    (
        "json-lun-1e999",
        "vms.json",
        _json_with(_with_data_disks([{"lun": "@RAW@", "name": "d", "diskSizeGb": 8}]), "1e999"),
        "web-01",
        "the LUN: inf is not a finite number",
    ),
    (
        "json-size-nan",
        "vms.json",
        _json_with(_with_data_disks([{"lun": 0, "name": "d", "diskSizeGb": "@RAW@"}]), "NaN"),
        "web-01",
        "the size in GiB: 'nan' is not a finite number",
    ),
    (
        "lun-1e20",
        "vms.json",
        _json_with(_with_data_disks([{"lun": 1e20, "name": "d", "diskSizeGb": 8}])),
        "web-01",
        "the LUN: 1e+20 is outside the allowed range, 0 to 63",
    ),
    (
        "lun-minus-1",
        "vms.json",
        _json_with(_with_data_disks([{"lun": -1, "name": "d", "diskSizeGb": 8}])),
        "web-01",
        "the LUN: -1 is outside the allowed range, 0 to 63",
    ),
    (
        "lun-70000",
        "vms.json",
        _json_with(_with_data_disks([{"lun": 70000, "name": "d", "diskSizeGb": 8}])),
        "web-01",
        "the LUN: 70,000 is outside the allowed range, 0 to 63",
    ),
    (
        "vm-name-5000",
        "vms.json",
        _json_with(_vm(name="w" * 5000)),
        "w" * 80 + "…",
        "the VM name: 5,000 characters is longer than 80",
    ),
    (
        "disk-name-5000",
        "vms.json",
        _json_with(_with_data_disks([{"lun": 0, "name": "d" * 5000, "diskSizeGb": 8}])),
        "web-01",
        "the disk name: 5,000 characters is longer than 80",
    ),
    (
        "vm-name-nul",
        "vms.json",
        _json_with(_vm(name="web\x0001")),
        "web?01",
        "the VM name: it contains a control character (NUL)",
    ),
    (
        "resource-group-nul",
        "vms.json",
        _json_with(_vm(resourceGroup="rg\x00")),
        "web-01",
        "the resource group: it contains a control character (NUL)",
    ),
    (
        "5000-disks",
        "vms.json",
        _json_with(
            _with_data_disks(
                [{"lun": i % 64, "name": f"d{i}", "diskSizeGb": 8} for i in range(5000)]
            )
        ),
        "web-01",
        "5,000 data disks: a VM has at most 64",
    ),
    (
        "csv-5000-disks",
        "vms.csv",
        (CSV_HEAD + CSV_GOOD + "web-01,rg-payroll,linux,,30," + ";".join(["8"] * 5000)).encode(),
        "web-01",
        "5,000 data disks: a VM has at most 64",
    ),
    (
        "two-disks-on-one-lun",
        "vms.json",
        _json_with(
            _with_data_disks(
                [{"lun": 3, "name": "a", "diskSizeGb": 8}, {"lun": 3, "name": "b", "diskSizeGb": 8}]
            )
        ),
        "web-01",
        "two data disks are on LUN 3",
    ),
    (
        "disk-1e12-gib",
        "vms.json",
        _json_with(_with_data_disks([{"lun": 0, "name": "d", "diskSizeGb": 1e12}])),
        "web-01",
        "1,000,000,000,000 is outside the allowed range, 1 to 65,536 GiB",
    ),
]


@pytest.mark.parametrize(
    ("filename", "data", "shown", "reason"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_row_is_rejected_with_its_reason_and_the_others_are_read(
    filename, data, shown, reason
):
    parsed = parse_inventory(data, filename)
    assert [r.name for r in parsed.rows] == ["sql-01"]
    (error,) = parsed.errors
    line = 3 if filename.endswith(".csv") else 2  # a CSV's line 1 is its header
    assert error.line == line and reason in error.reason, error
    assert error.name == shown


def test_a_csv_reads_on_after_a_line_it_cannot_read():
    data = (
        CSV_HEAD
        + "a-01,rg,linux,,30,\n"
        + "b-01,rg,linux,,"
        + "9" * 140_000
        + ",\n"
        + "c-01,rg,linux,,30,\n"
    )
    parsed = parse_inventory(data.encode(), "vms.csv")
    assert [r.name for r in parsed.rows] == ["a-01", "c-01"]
    assert [e.line for e in parsed.errors] == [3]


def test_64_data_disks_on_luns_0_to_63_are_read():
    vm = _with_data_disks([{"lun": i, "name": f"d{i}", "diskSizeGb": 8} for i in range(64)])
    parsed = parse_inventory(_json_with(vm), "vms.json")
    assert not parsed.errors and len(parsed.rows[1].disks) == 65
    assert [d.lun for d in parsed.rows[1].disks[1:]] == list(range(64))


@pytest.mark.parametrize("lun", [0, 63, 7.0, "12"])
def test_a_lun_in_range_is_read_as_a_whole_number(lun):
    parsed = parse_inventory(
        _json_with(_with_data_disks([{"lun": lun, "name": "d", "diskSizeGb": 8}])), "vms.json"
    )
    assert not parsed.errors and parsed.rows[1].disks[1].lun == int(float(lun))


def test_a_fractional_lun_is_rejected():
    parsed = parse_inventory(
        _json_with(_with_data_disks([{"lun": 2.5, "name": "d", "diskSizeGb": 8}])), "vms.json"
    )
    assert "2.5 is not a whole number" in parsed.errors[0].reason


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a" * 80, None),
        ("a" * 81, "81 characters is longer than 80"),
        ("tab\there", "control character (U+0009)"),
        ("line\nbreak", "control character (U+000A)"),
        ("nul\x00", "control character (NUL)"),
        ("del\x7f", "control character (U+007F)"),
        ("sep\u2028", "control character (U+2028)"),
        ("ünïcödé-名前", None),
    ],
)
def test_the_shared_name_rule(value, problem):
    found = bounds.name_problem(value)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize("model", ["Application", "VirtualMachine", "Disk", "HubConnection"])
def test_the_names_owners_and_operators_type_follow_the_shared_rule(model):
    """One rule for names (a hub connection had its own, which let U+2028 through)."""
    from django.apps import apps
    from django.core.exceptions import ValidationError

    field = apps.get_model("planner", model)._meta.get_field("name")
    assert bounds.validate_name in field.validators
    assert field.max_length == bounds.NAME_MAX_LENGTH
    with pytest.raises(ValidationError, match=r"control character \(U\+2028\)"):
        field.run_validators("hub\u2028one")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0.1, True),
        (400_000, True),
        (0.09, False),
        (400_001, False),
        (1e-5, False),
        (1e308, False),
        (float("inf"), False),
        (float("nan"), False),
        ("12", True),
        (True, False),
        ("x", False),
        (None, False),
    ],
)
def test_a_range_takes_finite_numbers_within_its_ends_only(value, ok):
    assert (bounds.LINK_MBPS.problem(value) is None) is ok
