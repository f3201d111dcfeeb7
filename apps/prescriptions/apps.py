from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    name = "apps.prescriptions"
    label = "prescriptions"

    def ready(self) -> None:
        # rxsign: the receivers that keep a signed prescription immutable.
        from apps.prescriptions import signing  # noqa: F401
