"""What error reports may show: no request bodies, no credentials hidden inside URLs."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class PhiSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    # Settings holding URLs (DATABASE_URL, REDIS_URL, CACHES, broker …) can embed passwords.
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|CACHES|BROKER|BACKEND|DSN",
        flags=re.IGNORECASE,
    )

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        # A view's locals hold form data, model instances and decrypted PHI. Keep only values
        # that cannot carry it (numbers, booleans, None); name everything else.
        return [
            (name, value if value is None or isinstance(value, bool | int | float)
             else self.cleansed_substitute)
            for name, value in tb_frame.f_locals.items()
        ]

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        # Any form may carry PHI (a complaint, a diagnosis, a CNIC): show field names only.
        if request is None:
            return {}
        return {name: self.cleansed_substitute for name in request.POST}
