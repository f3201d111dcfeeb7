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
    path("prescriptions/", include("apps.prescriptions.urls")),  # writing prescriptions
    path("family-history/", include("apps.records.family_urls")),
    path("privacy/export/", include("apps.exports.urls")),
    path("privacy/", include("apps.audit.urls")),  # "Who accessed my data"
    # Prescription signing and PDF, and the public page a QR code opens.
    path("prescriptions/", include("apps.prescriptions.urls_sign")),
    path("verify/rx/", include("apps.prescriptions.urls_verify")),
    path("video/", include("apps.video.urls")),  # video consultations
    # Payments: JazzCash checkout and pages, receipt PDFs, disputes, the staff back
    # office and the wallet.
    path("payments/", include("apps.payments.urls_receipts")),
    path("payments/", include("apps.payments.urls")),
    path("payments/", include("apps.payments.urls_disputes")),
    path("backoffice/", include("apps.payments.urls_backoffice")),
    path("wallet/", include("apps.payments.urls_wallet")),
    path("api/", include("healthlink.api_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]


handler500 = "apps.core.middleware.server_error"
