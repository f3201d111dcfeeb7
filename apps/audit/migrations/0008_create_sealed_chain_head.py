import base64
import hashlib
import hmac

from django.conf import settings
from django.db import migrations

GENESIS_HASH = "0" * 64


def create_sealed_head(apps, schema_editor):
    # A new database gets its chain head here, once, sealed with AUDIT_CHAIN_KEY: at run time
    # a missing head means tampering. (The same HMAC as apps.audit.chain.head_seal, written
    # out: migrations import no app code.) A database with links already has its head.
    head_model = apps.get_model("audit", "PhiAccessChainHead")
    log_model = apps.get_model("audit", "PhiAccessLog")
    if head_model.objects.exists() or log_model.objects.exists():
        return
    key = base64.b64decode(settings.AUDIT_CHAIN_KEY)
    seal = hmac.new(key, b"phi_access_chain_head\x00" + f"0:{GENESIS_HASH}".encode(),
                    hashlib.sha256).hexdigest()
    head_model.objects.create(id=1, chain_seq=0, row_hash=GENESIS_HASH, seal=seal)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0007_seal_phi_access_chain_head"),
    ]

    operations = [
        migrations.RunPython(create_sealed_head, migrations.RunPython.noop),
    ]
