from tests.payments.wallet_support import gateway

__all__ = ["gateway"]
