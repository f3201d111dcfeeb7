from django.urls import path

app_name = "facilities"

urlpatterns: list = []  # type: ignore[type-arg]
