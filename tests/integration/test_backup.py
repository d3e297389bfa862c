"""manage.py backup / restore: consistent, hash-checked, all or nothing."""

import hashlib
import io
import tarfile

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError

from planner.demo import seed
from planner.models import Application, AppResult, Finding, PlanRevision, VirtualMachine
from planner.services.sizing import size_and_save

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def estate(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed(apps=6, vms=40, seed=9, password="x")
    size_and_save(list(Application.objects.values_list("id", flat=True)))
    app = Application.objects.first()
    pdf = b"%PDF-1.7 a signed plan"
    rev = PlanRevision(
        application=app,
        number=1,
        state="draft",
        sha256="0" * 64,
        created_by=app.owner,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    rev.pdf.save("plan-1.pdf", ContentFile(pdf), save=False)
    PlanRevision.objects.bulk_create([rev])
    return tmp_path


def counts():
    return (
        Application.objects.count(),
        VirtualMachine.objects.count(),
        AppResult.objects.count(),
        Finding.objects.count(),
        PlanRevision.objects.count(),
    )


def test_backup_then_restore_gives_back_the_same_data_and_pdfs(estate, settings):
    before = counts()
    names = sorted(VirtualMachine.objects.values_list("name", flat=True))
    backup = estate / "planner.tar.gz"
    call_command("backup", output=str(backup))
    Application.objects.all().delete()
    (settings.MEDIA_ROOT / "plans").exists() and [
        p.unlink() for p in (settings.MEDIA_ROOT / "plans").iterdir()
    ]
    call_command("restore", str(backup), force=True)
    assert counts() == before
    assert sorted(VirtualMachine.objects.values_list("name", flat=True)) == names
    rev = PlanRevision.objects.get()
    assert hashlib.sha256(rev.pdf.read()).hexdigest() == rev.pdf_sha256
    from django.contrib.auth.models import Group

    assert Group.objects.get(name="operators").permissions.exists()


def test_a_tampered_pdf_is_refused_and_nothing_changes(estate):
    backup = estate / "planner.tar.gz"
    call_command("backup", output=str(backup))
    tampered = estate / "tampered.tar.gz"
    with tarfile.open(backup, "r:gz") as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data.replace(b"signed", b"forged")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    before = counts()
    with pytest.raises(CommandError, match=r"does not match its SHA-256.*Nothing was changed"):
        call_command("restore", str(tampered), force=True)
    assert counts() == before


def test_restore_refuses_to_overwrite_without_force(estate):
    backup = estate / "planner.tar.gz"
    call_command("backup", output=str(backup))
    with pytest.raises(CommandError, match="already holds applications"):
        call_command("restore", str(backup))


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(CommandError, match="not a Recovery Planner backup"):
        call_command("restore", str(junk))
