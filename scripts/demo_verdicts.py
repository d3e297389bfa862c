"""Each demo app's verdict and recommendation, to compare two versions of the planner.

    python scripts/demo_verdicts.py dump CHECKOUT OUT.json [VCPU,HUB_GIB,BACKUP_GIB]
    python scripts/demo_verdicts.py compare OLD.json NEW.json

``dump`` builds a throwaway SQLite database under CHECKOUT/var/, migrates it, seeds the default
demo estate (``seed_demo``: 40 apps, 400 VMs, seed 1), sizes it in one process and writes, per
app: compliant, the blocking and warning codes, the recommended scheme and (when the version
records it) the recommended target and its monthly cost. With the three internal rates (USD per
hub vCPU-month, hub GiB-month, backup-target GiB-month) it enters them in the price catalog
before sizing (versions without them ignore them). It runs CHECKOUT's own code (its
``manage.py`` and the shell's Python), so the same script measures an older checkout too.
``compare`` counts the apps whose verdict (compliant or not) or recommendation changed and lists
them with what changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

DUMP = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from planner.models import AppResult, Finding
    out = {}
    codes = {}
    for app_id, code, severity in Finding.objects.values_list(
        "application_id", "code", "severity"
    ):
        codes.setdefault(app_id, {}).setdefault(severity, []).append(code)
    for r in AppResult.objects.select_related("application").order_by("application__name"):
        rec = (r.detail or {}).get("recommendation") or {}
        target = rec.get("target") or {}
        out[r.application.name] = {
            "scheme": r.application.scheme,
            "compliant": r.compliant,
            "blocking": sorted(set(codes.get(r.application_id, {}).get("blocking", []))),
            "warning": sorted(set(codes.get(r.application_id, {}).get("warning", []))),
            "recommended": r.recommended_scheme,
            "recommended_target": target.get("name", ""),
            "recommended_cost": rec.get("monthly_cost"),
            "monthly_cost": r.monthly_cost,
        }
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
    """
)


RATES = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.utils import timezone
    from planner.models import Price
    keys = ("internal.hub_vcpu_month", "internal.hub_storage_gib_month",
            "internal.backup_storage_gib_month")
    for key, value in zip(keys, sys.argv[1].split(","), strict=True):
        Price.objects.update_or_create(
            key=key, effective_date=timezone.localdate(),
            defaults={"value": float(value), "unit": "USD", "description": key,
                      "source": "demo_verdicts.py"},
        )
    """
)


def dump(checkout: str, out: str, rates: str = "") -> None:
    root = Path(checkout).resolve()
    (root / "var").mkdir(exist_ok=True)
    db = root / "var" / "demo-verdicts.sqlite3"
    db.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(root),
    }
    py = sys.executable
    for args in (["migrate", "-v", "0"], ["seed_demo"]):
        subprocess.run([py, "manage.py", *args], cwd=root, env=env, check=True)
    if rates:
        subprocess.run([py, "-c", RATES, rates], cwd=root, env=env, check=True)
    subprocess.run([py, "manage.py", "size_estate", "--sync"], cwd=root, env=env, check=True)
    subprocess.run([py, "-c", DUMP, str(Path(out).resolve())], cwd=root, env=env, check=True)
    db.unlink(missing_ok=True)


def compare(old_path: str, new_path: str) -> None:
    old = json.loads(Path(old_path).read_text())
    new = json.loads(Path(new_path).read_text())
    verdict, recommendation = [], []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            print(f"{name}: only in {'new' if a is None else 'old'}")
            continue
        if a["compliant"] != b["compliant"]:
            gone = sorted(set(a["blocking"]) - set(b["blocking"]))
            came = sorted(set(b["blocking"]) - set(a["blocking"]))
            verdict.append(name)
            print(
                f"{name}: verdict {'compliant' if a['compliant'] else 'blocked'} → "
                f"{'compliant' if b['compliant'] else 'blocked'} (blocking gone {gone}, new {came})"
            )
        if a["recommended"] != b["recommended"]:
            recommendation.append(name)
            where = f" to '{b['recommended_target']}'" if b.get("recommended_target") else ""
            cost = b.get("recommended_cost")
            print(
                f"{name}: recommendation {a['recommended'] or 'none'} → "
                f"{b['recommended'] or 'none'}{where}"
                + (f" at ${cost:,.2f}/month" if cost is not None else "")
                + f" (chosen scheme {b['scheme']})"
            )
    changed = set(verdict) | set(recommendation)
    print(
        f"{len(new)} apps: {len(verdict)} changed verdict, {len(recommendation)} changed "
        f"recommendation, {len(changed)} changed either"
    )


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "dump":
        dump(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
