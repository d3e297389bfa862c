"""The audit trail and waivers are append-only in the database too (PostgreSQL).

A trigger on planner_plantransition and planner_waiver refuses every UPDATE, and a DELETE of a
row whose revision is no longer a draft (a draft is deleted whole, with its trail). It holds
for any client: psql, a script, a raw query, not only the ORM (planner/models/plans.py refuses
the same through save(), QuerySet.update() and delete()). SQLite has no such trigger: the ORM's
guards are what protect a development database. TRUNCATE (manage.py flush, used by restore)
does not fire row triggers.
"""

from django.db import migrations

TABLES = ("planner_plantransition", "planner_waiver")

CREATE = """
CREATE OR REPLACE FUNCTION planner_refuse_trail_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '% is append-only: UPDATE refused (row id %)', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM planner_planrevision WHERE id = OLD.revision_id AND state <> 'draft'
    ) THEN
        RAISE EXCEPTION '% of a submitted plan revision are kept: DELETE refused (row id %)',
            TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)  # the body uses % placeholders of its own
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION planner_refuse_trail_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS planner_refuse_trail_change()")


class Migration(migrations.Migration):
    dependencies = [("planner", "0005_h8_hub_sync")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
