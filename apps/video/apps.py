from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "apps.video"
    label = "video"
