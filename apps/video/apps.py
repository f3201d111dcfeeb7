from django.apps import AppConfig
from django.core import checks


class VideoConfig(AppConfig):
    name = "apps.video"
    label = "video"

    def ready(self) -> None:
        from apps.video.checks import check_janus_admin_key

        checks.register(check_janus_admin_key)
