"""The database refuses overlapping SCHEDULED appointments of one patient, as of one doctor.

The same box per appointment as excl_appointments_doctor_overlap (migration 0003), with the
patient's id as x. Booking checks the patient's calendar first for the friendly message;
this constraint is what makes two concurrent bookings of one patient (with two doctors, at
one time) unable to both commit, without holding a lock on the patient's row.
"""

from django.db import migrations

CREATE = """
ALTER TABLE appointments
    ADD CONSTRAINT excl_appointments_patient_overlap
    EXCLUDE USING gist (
        healthlink_appointment_box(patient_id, scheduled_at, duration_minutes) WITH &&
    )
    WHERE (status = 'SCHEDULED');
"""

DROP = "ALTER TABLE appointments DROP CONSTRAINT IF EXISTS excl_appointments_patient_overlap;"


class Migration(migrations.Migration):
    dependencies = [("appointments", "0006_index_patient_appointments_by_time")]

    operations = [migrations.RunSQL(CREATE, DROP)]
