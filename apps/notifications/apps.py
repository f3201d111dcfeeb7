from django.apps import AppConfig
from django.core import checks

from apps.notifications.checks import check_backends


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        checks.register(check_backends)
