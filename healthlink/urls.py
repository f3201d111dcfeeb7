from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from apps.accounts.views import set_language

admin.site.site_header = _("HealthLink administration")
admin.site.site_title = _("HealthLink admin")

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("appointments/", include("apps.appointments.urls")),
    path("doctors/", include("apps.facilities.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("records/", include("apps.records.urls")),
    path("prescriptions/", include("apps.prescriptions.urls")),  # issue 5: writing
    path("family-history/", include("apps.records.family_urls")),
    path("privacy/export/", include("apps.exports.urls")),
    path("privacy/", include("apps.audit.urls")),  # "Who accessed my data"
    # Prescription signing and PDF, and the public page a QR code opens.
    path("prescriptions/", include("apps.prescriptions.urls_sign")),
    path("verify/rx/", include("apps.prescriptions.urls_verify")),
    path("video/", include("apps.video.urls")),  # video consultations
    path("payments/", include("apps.payments.urls_receipts")),  # payment receipt PDF
    path("payments/", include("apps.payments.urls")),  # issue 6: JazzCash (payjc)
    # --- dispute: receipts, payment disputes and the staff back office (issue 6) ---
    path("payments/", include("apps.payments.urls_disputes")),
    path("backoffice/", include("apps.payments.urls_backoffice")),
    # --- end dispute ---
    path("wallet/", include("apps.payments.urls_wallet")),  # issue 6: wallet and refunds
    path("api/", include("healthlink.api_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]


handler500 = "apps.core.middleware.server_error"
