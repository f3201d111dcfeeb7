"""The database refuses overlapping SCHEDULED appointments of one doctor.

Without btree_gist (pgserver ships no contrib extensions) an exclusion constraint cannot
compare a bigint with `=`. Instead each appointment becomes a box: x from doctor_id to
doctor_id + 0.5 (doctors never share a strip), y from the start to the end in epoch
seconds, less a millisecond so that back-to-back slots only touch. GiST on boxes is core
PostgreSQL, and `&&` finds any overlap, so two concurrent bookings of one slot cannot both
commit: the second waits for the first and then fails with exclusion_violation (23P01).
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION healthlink_appointment_box(doctor bigint, starts timestamptz, minutes integer)
RETURNS box
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
    SELECT box(
        point(doctor::double precision, extract(epoch FROM starts)::double precision),
        point(doctor::double precision + 0.5,
              extract(epoch FROM starts)::double precision + minutes * 60 - 0.001)
    )
$$;

ALTER TABLE appointments
    ADD CONSTRAINT excl_appointments_doctor_overlap
    EXCLUDE USING gist (
        healthlink_appointment_box(doctor_id, scheduled_at, duration_minutes) WITH &&
    )
    WHERE (status = 'SCHEDULED');
"""

DROP = """
ALTER TABLE appointments DROP CONSTRAINT IF EXISTS excl_appointments_doctor_overlap;
DROP FUNCTION IF EXISTS healthlink_appointment_box(bigint, timestamptz, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("appointments", "0002_link_appointment_to_payment")]

    operations = [migrations.RunSQL(CREATE, DROP)]
