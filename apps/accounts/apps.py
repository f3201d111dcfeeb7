from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the login receiver that stamps each web session with its login time.
        from apps.accounts import sessions  # noqa: F401
