"""Password hashing (argon2id) and the minimum password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("not a real password, used to equalise timing")

COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "123456789012", "qwertyuiop12", "letmein12345",
    "welcome12345", "administrator", "changeme1234", "iloveyou1234", "trustno1trustno1",
    "passw0rdpassw0rd", "abc123abc123", "111111111111", "000000000000", "qwerty123456",
})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def policy_problems(password: str, username: str, min_length: int = 12) -> list[str]:
    """Why a new password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(f"must be at least {min_length} characters long")
    if len(password) > 256:
        problems.append("must be at most 256 characters long")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append("is too common or too repetitive")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if not any(c.isalpha() for c in password) or not any(not c.isalpha() for c in password):
        problems.append("must mix letters with digits or symbols")
    return problems
