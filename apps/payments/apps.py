from django.apps import AppConfig
from django.core import checks


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"

    def ready(self) -> None:
        from apps.payments.checks import check_jazzcash_credentials, check_jazzcash_simulator

        checks.register(check_jazzcash_simulator)
        checks.register(check_jazzcash_credentials)
