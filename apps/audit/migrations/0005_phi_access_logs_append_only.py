"""The audit tables are append-only in the database, for every role.

UPDATE, DELETE and TRUNCATE are refused by triggers, which fire for superusers too; only
superuser powers (`SET session_replication_role = replica`, dropping the trigger) get past
them, and the keyed hash chain shows what such an edit did.

One exception, for retention: a phi_access_logs row may be deleted once it is older than
five years (1826 days, the floor settings.AUDIT_LOG_RETENTION_MIN_DAYS repeats) and a purge
anchor at or after its place in the chain already exists, so that the chain's new start is
on record before its old start goes.
"""

from django.db import migrations, models

FUNCTIONS = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION phi_access_logs_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.created_at < now() - interval '1826 days'
       AND EXISTS (SELECT 1 FROM phi_access_chain_anchors AS anchor
                   WHERE anchor.chain_seq >= OLD.chain_seq) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'phi_access_logs is append-only: DELETE refused for row % '
            '(within the retention period or not behind a purge anchor)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'phi_access_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER phi_access_logs_append_only
    BEFORE UPDATE OR DELETE ON phi_access_logs
    FOR EACH ROW EXECUTE FUNCTION phi_access_logs_refuse_change();
CREATE TRIGGER phi_access_logs_no_truncate
    BEFORE TRUNCATE ON phi_access_logs
    FOR EACH STATEMENT EXECUTE FUNCTION phi_access_logs_refuse_change();
"""

APPEND_ONLY = ("phi_access_chain_anchors", "admin_audit_events")

TABLE_TRIGGERS = "".join(
    f"""
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""
    for table in APPEND_ONLY
)

DROP = "".join(
    f"DROP TRIGGER {table}_append_only ON {table};\n"
    f"DROP TRIGGER {table}_no_truncate ON {table};\n"
    for table in (*APPEND_ONLY, "phi_access_logs")
) + """
DROP FUNCTION phi_access_logs_refuse_change();
DROP FUNCTION audit_refuse_change();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_chain_existing_phi_access_logs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='phiaccesslog',
            name='chain_seq',
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name='phiaccesslog',
            name='prev_hash',
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='phiaccesslog',
            name='row_hash',
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.RunSQL(FUNCTIONS + TABLE_TRIGGERS, DROP),
    ]
