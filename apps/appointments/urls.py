from django.urls import path

from apps.appointments import views, views_availability, views_lifecycle

app_name = "appointments"

urlpatterns = [
    path("<int:appointment_id>/", views_lifecycle.detail, name="detail"),
    path("<int:appointment_id>/cancel/", views_lifecycle.cancel, name="cancel"),
    path("<int:appointment_id>/reschedule/", views_lifecycle.reschedule, name="reschedule"),
    path("<int:appointment_id>/complete/", views_lifecycle.complete, name="complete"),
    path("<int:appointment_id>/no-show/", views_lifecycle.no_show, name="no_show"),
    path("<int:appointment_id>/calendar.ics", views_lifecycle.calendar_file, name="ics"),
    path("upcoming/", views_lifecycle.upcoming, name="upcoming"),
    path("past/", views_lifecycle.past, name="past"),
    path("schedule/day/", views_lifecycle.doctor_day, name="doctor_day"),
    path("schedule/week/", views_lifecycle.doctor_week, name="doctor_week"),
    path("waitlist/", views_lifecycle.waitlist, name="waitlist"),
    path("waitlist/join/", views_lifecycle.waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/leave/", views_lifecycle.waitlist_leave,
         name="waitlist_leave"),
    path("book/<int:doctor_id>/", views.book, name="book"),
    # The doctor's working hours and exceptions (slots helper's pages).
    *views_availability.urlpatterns,
]
