from django.urls import path

app_name = "core"

urlpatterns: list = []  # type: ignore[type-arg]
