"""Drop the UNIQUE constraint on users.cnic ciphertext.

Every encrypted value has a fresh nonce, so a UNIQUE on the ciphertext never fires; the
CNIC is kept unique by the constraint on users.cnic_blind_index (a keyed HMAC of the
normalized digits), which 0001 already created.
"""

import apps.core.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_link_staff_to_facility"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="cnic",
            field=apps.core.fields.EncryptedTextField(blank=True, null=True, verbose_name="CNIC"),
        ),
    ]
