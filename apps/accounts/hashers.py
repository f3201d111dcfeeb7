"""bcrypt at cost 12, as the schema specifies for `users.password_hash`."""

from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class BCrypt12PasswordHasher(BCryptSHA256PasswordHasher):
    # SHA-256 pre-hashing lifts bcrypt's 72-byte input limit; the stored hash is bcrypt.
    rounds = 12
