from django.urls import path

app_name = "accounts"

urlpatterns: list = []  # type: ignore[type-arg]
