import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_phi_access_logs_patient_and_outcome'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PhiAccessChainAnchor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), default=django.utils.timezone.now, editable=False)),
                ('chain_seq', models.BigIntegerField(unique=True)),
                ('row_hash', models.CharField(max_length=64)),
                ('anchor_hash', models.CharField(max_length=64)),
                ('purged_rows', models.IntegerField()),
            ],
            options={
                'db_table': 'phi_access_chain_anchors',
            },
        ),
        migrations.CreateModel(
            name='PhiAccessChainHead',
            fields=[
                ('id', models.SmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('chain_seq', models.BigIntegerField()),
                ('row_hash', models.CharField(max_length=64)),
            ],
            options={
                'db_table': 'phi_access_chain_head',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='ck_phi_access_chain_head_one')],
            },
        ),
        # Nullable first: rows written before the chain get their links in the next migration.
        migrations.AddField(
            model_name='phiaccesslog',
            name='chain_seq',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='phiaccesslog',
            name='prev_hash',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='phiaccesslog',
            name='row_hash',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.CreateModel(
            name='AdminAuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), default=django.utils.timezone.now, editable=False)),
                ('action', models.CharField(choices=[('USER_CREATE', 'Account created'), ('USER_CHANGE', 'Account changed'), ('PMDC_VERIFY', 'PMDC license verified'), ('SOFT_DELETE', 'Account deleted'), ('RESTORE', 'Account restored')], max_length=50, verbose_name='action')),
                ('field', models.CharField(max_length=50, verbose_name='field')),
                ('old_value', models.JSONField(blank=True, null=True, verbose_name='old value')),
                ('new_value', models.JSONField(blank=True, null=True, verbose_name='new value')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('target', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'admin audit event',
                'verbose_name_plural': 'admin audit events',
                'db_table': 'admin_audit_events',
                'indexes': [models.Index(fields=['target', 'created_at'], name='idx_admin_audit_events_target'), models.Index(fields=['created_at'], name='idx_admin_audit_events_created')],
                'constraints': [models.CheckConstraint(condition=models.Q(('action__in', ['USER_CREATE', 'USER_CHANGE', 'PMDC_VERIFY', 'SOFT_DELETE', 'RESTORE'])), name='ck_admin_audit_events_action_valid')],
            },
        ),
    ]
