"""Link the rows written before the chain existed, in id order, and record the head.

Self-contained on purpose (no app imports): the hash is the same HMAC as apps.audit.chain.
"""

import base64
import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

GENESIS_HASH = "0" * 64
CHAINED_FIELDS = (
    "id", "chain_seq", "prev_hash", "created_at", "actor_id", "patient_id", "action",
    "resource_type", "resource_id", "reason", "ip_address", "user_agent", "refused",
    "break_glass",
)


def _row_hash(key, values):
    body = {}
    for name in CHAINED_FIELDS:
        value = values[name]
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        body[name] = value
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(
        key, b"phi_access_logs\x00" + message.encode(), hashlib.sha256
    ).hexdigest()


def chain_existing(apps, schema_editor):
    PhiAccessLog = apps.get_model("audit", "PhiAccessLog")
    PhiAccessChainHead = apps.get_model("audit", "PhiAccessChainHead")
    rows = PhiAccessLog.objects.order_by("id")
    previous, seq = GENESIS_HASH, 0
    if rows.exists():
        if not settings.AUDIT_CHAIN_KEY:
            raise ImproperlyConfigured("AUDIT_CHAIN_KEY is needed to chain existing rows.")
        key = base64.b64decode(settings.AUDIT_CHAIN_KEY)
        for entry in rows.iterator(chunk_size=2000):
            seq += 1
            entry.chain_seq, entry.prev_hash = seq, previous
            values = {name: getattr(entry, name) for name in CHAINED_FIELDS}
            entry.row_hash = previous = _row_hash(key, values)
            entry.save(update_fields=["chain_seq", "prev_hash", "row_hash"])
    PhiAccessChainHead.objects.create(id=1, chain_seq=seq, row_hash=previous)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_phi_access_chain_and_admin_audit_events'),
    ]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
