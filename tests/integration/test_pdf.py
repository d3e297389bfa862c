"""The plan PDF read back with pypdf: what a signer must find in it, page numbering, repeated
table headers, paper sizes, the CSV annex of a large app, and manage.py export_plan."""

from __future__ import annotations

import csv
import io
import re

import pypdf
import pytest
from django.core.management import CommandError, call_command

from planner.models.plans import PlanState
from planner.reports import parallel
from planner.reports.canonical import sha256_hex
from planner.reports.render import plan_context, render_html, render_revision, revision_meta
from planner.services import plans
from tests.factories import BackupTargetFactory, DiskFactory, VmFactory
from tests.integration.test_plans import WHY, make_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def read(pdf: bytes) -> tuple[pypdf.PdfReader, list[str]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def flat(text: str) -> str:
    """Text with line breaks and hyphenation joins undone, for phrase searches."""
    return re.sub(r"\s+", " ", text)


def test_signed_plan_says_what_a_signer_must_check(alice, carol, output_dir):
    app = make_app(
        alice, name="ledger", vms=9, backup_target=BackupTargetFactory(kind="rack_appliance")
    )
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", carol, WHY)
    rev = plans.approve_revision(rev, carol, "Signed for the 2026 BC/DR review.")
    pdf, name = plans.revision_pdf(rev)
    (output_dir / "test_pdf_signed.pdf").write_bytes(pdf)
    reader, pages = read(pdf)
    text = flat("\n".join(pages))
    assert name == "ledger-plan-r1.pdf"
    # cover: app, owner, revision, status, hash
    assert "ledger" in pages[0] and "alice" in pages[0] and "r1" in pages[0]
    assert "Approved" in pages[0]
    assert rev.sha256 in text.replace(" ", "")
    # summary: objectives against capability, verdicts, recommended scheme
    assert "Recovery time (RTO) 4 h" in text and "Recovery point (RPO) 1 d" in text
    assert "met" in text and "Approved with waivers" in text
    assert "Scheme chosen: Backup-restore" in text
    # scheme, source and target, topology verdict
    assert "Source/target combination" in text
    assert "Physical backup appliance in the Azure Stack Hub rack: not supported" in text
    # sizing arithmetic, cost chart, runbooks, schedule, findings, drills
    assert "backup storage = Σ 9 VMs" in text
    assert "Cost projection" in text
    assert "Failover" in text and "Failback" in text and "Shutdown" in text
    assert "Staggered onboarding" in text
    assert "TOPOLOGY_RACK_APPLIANCE" in text
    assert "Waived by carol on" in text and WHY in text
    assert "Drills and MTTR" in text and "no drill or incident recorded" in text
    # every VM, in the annex
    for vm in app.vms.all():
        assert vm.name in text
    # sign-off block
    assert "Approved by carol" in text and "Signed for the 2026 BC/DR review." in text
    # page X of Y on every page
    n = len(reader.pages)
    for i, page in enumerate(pages, 1):
        assert f"Page {i} of {n}" in page
    assert reader.metadata.title.startswith("Recovery plan — ledger — revision 1")
    assert not reader.attachments


def test_vm_annex_header_repeats_on_every_page(alice):
    app = make_app(alice, name="fleet", vms=120)
    rev = plans.create_revision(app, alice)
    rendered = render_revision(rev)
    _, pages = read(rendered.pdf)
    annex = [p for p in pages if "fleet-vm-" in p and "Resource group" in p]
    assert len(annex) >= 3, "120 VMs fill several landscape pages"
    rows = [p for p in pages if re.search(r"fleet-vm-\d+ rg-test", p)]
    assert rows and all("Resource group" in p and "Backup GiB" in p for p in rows)
    text = "\n".join(pages)
    for i in range(120):
        assert f"fleet-vm-{i:02d}" in text
    assert "DRAFT" in pages[1]  # the running header says it is not signed


def test_vm_annex_prints_each_vms_figures_on_its_row(alice):
    """Annex A's twelve short columns are one monospaced cell per VM: every value is still on
    the VM's row, a long role wraps inside its column, a long name stays a cell of its own."""
    app = make_app(alice, name="rows", vms=2)
    wide = VmFactory(
        application=app,
        name="rows-Ωmega-é-" + "x" * 60,
        scale_set="ss-web",
        keep_in_backup=True,
        role="web",
    )
    DiskFactory(vm=wide, provisioned_gib=512, used_gib=321)
    rev = plans.create_revision(app, alice)
    context = plan_context(rev.snapshot, revision_meta(rev))
    row = next(v for v in context["vms"] if v["name"] == wide.name)
    header = context["annex_figures"]["header"]
    first = row["figures"].split("\n")[0]
    # the numbers sit under their headers: right-aligned, ending where the label ends
    for label, value in (("Used GiB", "321"), ("Prov. GiB", "512"), ("Disks", "1")):
        end = header.index(label) + len(label)
        assert first[:end].endswith(value), (label, first)
    assert "Web (scale set," in first and "kept in backup)" in row["figures"]
    _, pages = read(render_revision(rev).pdf)
    text = flat("\n".join(pages))
    assert "Used GiB" in text and "USD / month" in text
    assert "rows-Ωmega-é-" in text and "kept in" in text


@pytest.mark.parametrize(("paper", "size"), [("A4", (595, 842)), ("letter", (612, 792))])
def test_paper_size(alice, paper, size):
    rev = plans.create_revision(make_app(alice, vms=2), alice)
    reader, pages = read(render_revision(rev, paper=paper).pdf)
    first = reader.pages[0].mediabox
    assert (round(first.width), round(first.height)) == size
    annex = reader.pages[next(i for i, text in enumerate(pages) if "Annex A" in text)].mediabox
    assert (round(annex.width), round(annex.height)) == size[::-1]  # the VM table: landscape
    last = reader.pages[-1].mediabox  # Annex B, the arithmetic: portrait again
    assert (round(last.width), round(last.height)) == size


def test_a_large_app_gets_its_vm_annex_as_csv(alice, carol, monkeypatch):
    monkeypatch.setattr("planner.reports.render.ANNEX_CSV_OVER_VMS", 5)
    app = make_app(alice, name="big", vms=8)
    tricky = VmFactory(application=app, name="=HYPERLINK(evil)")
    DiskFactory(vm=tricky)
    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    rev = plans.approve_revision(rev, carol, "")
    pdf, _ = plans.revision_pdf(rev)
    rev.refresh_from_db()
    annex, annex_file = plans.revision_annex(rev)
    assert annex_file == "big-plan-r1-vms.csv"
    _, pages = read(pdf)
    text = flat("\n".join(pages))
    assert "big-plan-r1-vms.csv" in text and sha256_hex(annex) in text.replace(" ", "")
    assert "Annex B" not in text
    rows = list(csv.reader(io.StringIO(annex.decode())))
    assert rows[0][:3] == ["vm", "resource_group", "subscription"]
    names = [r[0] for r in rows[1:]]
    assert sorted(names) == sorted([*(f"big-vm-{i:02d}" for i in range(8)), "'=HYPERLINK(evil)"])
    assert all(r[-1] for r in rows[1:])  # each VM's arithmetic


def test_export_plan_creates_a_draft_when_the_app_has_none(alice, tmp_path, capsys):
    app = make_app(alice, name="cli", vms=2)
    out = tmp_path / "cli.pdf"
    call_command("export_plan", app.pk, output=str(out))
    printed = capsys.readouterr().out
    rev = app.plans.get()
    assert rev.state == PlanState.DRAFT and rev.created_by == alice
    assert "draft r1 taken" in printed and rev.sha256 in printed
    _, pages = read(out.read_bytes())
    assert "cli" in pages[0] and "Draft" in pages[0]


def test_export_plan_writes_the_stored_signed_pdf(alice, carol, tmp_path):
    app = make_app(alice, name="cli2", vms=2)
    r1 = plans.approve_revision(
        plans.submit_revision(plans.create_revision(app, alice), alice), carol, ""
    )
    plans.create_revision(app, alice)  # r2, a draft
    out = tmp_path / "r1.pdf"
    call_command("export_plan", app.pk, revision=1, output=str(out))
    r1.refresh_from_db()
    assert plans.verify_pdf(r1, out.read_bytes())
    call_command("export_plan", app.pk, output=str(tmp_path / "latest.pdf"))
    _, pages = read((tmp_path / "latest.pdf").read_bytes())
    assert "r2" in pages[0]


def test_export_plan_errors_say_what_to_do(alice, tmp_path):
    app = make_app(alice, name="cli3", vms=1)
    with pytest.raises(CommandError, match="No application with id 999999"):
        call_command("export_plan", 999999, output=str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match=r"has no revision 4 \(it has: none\)"):
        call_command("export_plan", app.pk, revision=4, output=str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match=r"must name a \.pdf file"):
        call_command("export_plan", app.pk, output=str(tmp_path / "x.txt"))


@pytest.mark.parametrize(
    ("vms", "items_per_part", "chunks"),
    [
        (30, 250, [None, None]),  # three parts, each in one piece
        (50, 250, [None, 25]),  # annex B cut in two for balance, annex A in one piece
        (40, 12, [12, 12]),  # annex A's 12 rows do not fill a page: it gives up, one piece
        (100, 45, [45, 45]),  # both annexes as chains of chunks
    ],
)
def test_parts_rendered_in_parallel_read_as_one_piece(alice, settings, vms, items_per_part, chunks):
    """The plan and its annexes rendered in parallel processes and joined carry, page by page,
    the same text as the whole document rendered in one process: the running header, "Page X
    of Y" and the SHA-256 footer included; landscape stays landscape. So do annexes rendered
    as chains of chunks (PLAN_PDF_ITEMS_PER_PART, and annex B in two when shorter), each
    chunk's last page laid out again by the next."""
    app = make_app(alice, name="split", vms=vms)
    rev = plans.create_revision(app, alice)
    settings.PLAN_PDF_PARALLEL = True
    settings.PLAN_PDF_PARALLEL_FROM_VMS = 0  # in parts, however small
    settings.PLAN_PDF_ITEMS_PER_PART = items_per_part
    html = render_html(plan_context(rev.snapshot, revision_meta(rev)))
    runs = [parallel.run_of(part) for part in parallel.split(html)]
    assert runs[0] is None and all(len(r.items) >= vms - 2 for r in runs[1:])
    assert [parallel.chunk_size(r, items_per_part) for r in runs[1:]] == chunks
    joined, joined_pages = read(render_revision(rev).pdf)
    settings.PLAN_PDF_PARALLEL = False
    whole, whole_pages = read(render_revision(rev).pdf)
    assert len(joined_pages) == len(whole_pages) >= 4
    assert joined_pages == whole_pages
    assert [p.mediabox for p in joined.pages] == [p.mediabox for p in whole.pages]
    assert rev.sha256 in joined_pages[-1] and f"Page {len(whole_pages)} of" in joined_pages[-1]
    assert joined.metadata.title == whole.metadata.title


def test_a_small_plan_renders_in_one_process(alice, settings):
    """A plan whose annexes list fewer than PLAN_PDF_PARALLEL_FROM_VMS VMs renders in one
    process, byte for byte as with PLAN_PDF_PARALLEL off; in parts it reads the same."""
    rev = plans.create_revision(make_app(alice, name="small", vms=6), alice)
    settings.PLAN_PDF_PARALLEL = True
    settings.PLAN_PDF_PARALLEL_FROM_VMS = 7
    small = render_revision(rev).pdf
    settings.PLAN_PDF_PARALLEL = False
    assert small == render_revision(rev).pdf
    settings.PLAN_PDF_PARALLEL = True
    settings.PLAN_PDF_PARALLEL_FROM_VMS = 6
    in_parts = render_revision(rev).pdf
    assert in_parts != small and read(in_parts)[1] == read(small)[1]
