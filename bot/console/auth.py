"""Accounts, passwords, sessions, lock-out and CSRF tokens for the console.

Passwords are hashed with Argon2id (argon2-cffi's defaults, which follow
RFC 9106's recommendations). Sessions live in the database, so signing out
or changing a password ends them at once; the browser holds a random token
whose SHA-256 alone is stored. Each session has its own CSRF token; the
sign-in form, before any session exists, gets one signed with itsdangerous
and bound to a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.console_models import Account, ConsoleSession, Role

logger = logging.getLogger(__name__)

# NIST SP 800-63B: length matters more than composition rules.
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 256
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
LOGIN_TOKEN_MAX_AGE_SECONDS = 3600
# Writing last_seen on every poll would make a write every two seconds per
# open tab; a minute's precision is plenty for an idle timeout in minutes.
TOUCH_INTERVAL = timedelta(seconds=60)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username
# takes as long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Permission(StrEnum):
    CONVERSATIONS = "conversations"  # the queue, conversations, take, reply…
    TAKE_OVER = "take_over"  # take, hand back or close someone else's
    AUDIT = "audit"  # who opened which conversation
    ACCOUNTS = "accounts"  # create, unlock, deactivate accounts
    CONTENT = "content"  # what the bot says (editors)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COUNSELLOR: frozenset({Permission.CONVERSATIONS}),
    Role.SUPERVISOR: frozenset(
        {Permission.CONVERSATIONS, Permission.TAKE_OVER, Permission.AUDIT}
    ),
    Role.EDITOR: frozenset({Permission.CONTENT}),
    # Admins manage accounts; reading young people's conversations is not
    # part of that job, so they do not get it.
    Role.ADMIN: frozenset({Permission.ACCOUNTS, Permission.AUDIT}),
}


class AuthError(Exception):
    """Base of the console's authentication errors."""


class AccountError(AuthError, ValueError):
    """An account cannot be created or changed as asked; says why.

    Attributes:
        field: what was wrong: ``username``, ``username_taken``,
            ``display_name``, ``role`` or ``password``.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class SignInError(AuthError):
    """Wrong username or password, locked or deactivated account.

    The message is for logs and tests; the page shows one message for all
    cases so that it does not tell which usernames exist.
    """


@dataclass(frozen=True)
class AuthPolicy:
    """Session lifetime and lock-out thresholds, from the settings."""

    idle: timedelta
    max_age: timedelta
    lockout_attempts: int
    lockout: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthPolicy:
        return cls(
            idle=timedelta(minutes=settings.console_session_idle_minutes),
            max_age=timedelta(hours=settings.console_session_max_hours),
            lockout_attempts=settings.console_lockout_attempts,
            lockout=timedelta(minutes=settings.console_lockout_minutes),
        )


@dataclass(frozen=True)
class Viewer:
    """The signed-in account behind a request."""

    account_id: int
    username: str
    display_name: str
    role: Role
    csrf_token: str

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


# --- Accounts ----------------------------------------------------------------


def check_password_strength(password: str) -> None:
    """Raises AccountError when the password is too short or too long."""
    if not PASSWORD_MIN_CHARS <= len(password) <= PASSWORD_MAX_CHARS:
        raise AccountError(
            f"Expected a password of {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} "
            f"characters; got {len(password)}. A short sentence works well.",
            "password",
        )


def normalise_username(username: str) -> str:
    """Lower-cased and checked.

    Raises:
        AccountError: when it is not 3 to 64 of a-z, 0-9, dot, dash, underscore.
    """
    cleaned = username.strip().lower()
    if not USERNAME_PATTERN.match(cleaned):
        raise AccountError(
            "Expected a username of 3 to 64 characters among a-z, 0-9, '.', '_' "
            f"and '-', starting with a letter or digit; got {username!r}.",
            "username",
        )
    return cleaned


def create_account(
    sessions: sessionmaker[Session],
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
) -> int:
    """Create an account and return its id.

    Raises:
        AccountError: bad username, display name, role or password, or the
            username is taken.
    """
    username = normalise_username(username)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 80:
        raise AccountError(
            f"Expected a display name of 1 to 80 characters; got {len(display_name)}.",
            "display_name",
        )
    try:
        chosen = Role(role)
    except ValueError as err:
        roles = ", ".join(r.value for r in Role)
        raise AccountError(
            f"Expected a role among {roles}; got {role!r}.", "role"
        ) from err
    check_password_strength(password)
    with sessions.begin() as session:
        taken = session.scalar(select(Account.id).where(Account.username == username))
        if taken is not None:
            raise AccountError(
                f"Username {username!r} is taken; choose another one.",
                "username_taken",
            )
        account = Account(
            username=username,
            display_name=display_name,
            role=chosen,
            password_hash=_hasher.hash(password),
        )
        session.add(account)
        session.flush()
        account_id = account.id
    logger.info("Console account %d created with role %s", account_id, chosen)
    return account_id


def count_admins(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count(Account.id)).where(
                    Account.role == Role.ADMIN, Account.active.is_(True)
                )
            )
            or 0
        )


def set_password(
    sessions: sessionmaker[Session], account_id: int, password: str
) -> None:
    """Replace an account's password and end all its sessions.

    Raises:
        AccountError: when the password is too short or too long.
    """
    check_password_strength(password)
    with sessions.begin() as session:
        account = session.get_one(Account, account_id)
        account.password_hash = _hasher.hash(password)
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.account_id == account_id)
        )
    logger.info("Password of console account %d changed", account_id)


def verify_password(
    sessions: sessionmaker[Session], account_id: int, password: str
) -> bool:
    with sessions() as session:
        account = session.get_one(Account, account_id)
        return _verify(account.password_hash, password)


def unlock(sessions: sessionmaker[Session], account_id: int) -> None:
    with sessions.begin() as session:
        account = session.get_one(Account, account_id)
        account.locked_until = None
        account.failed_logins = 0
    logger.info("Console account %d unlocked", account_id)


def set_active(sessions: sessionmaker[Session], account_id: int, active: bool) -> None:
    """(De)activate an account; deactivating ends its sessions."""
    with sessions.begin() as session:
        session.get_one(Account, account_id).active = active
        if not active:
            session.execute(
                delete(ConsoleSession).where(ConsoleSession.account_id == account_id)
            )
    logger.info("Console account %d %s", account_id, "on" if active else "off")


# --- Signing in ----------------------------------------------------------------


def authenticate(
    sessions: sessionmaker[Session], username: str, password: str, policy: AuthPolicy
) -> int:
    """Check a username and password; returns the account id.

    After ``policy.lockout_attempts`` wrong passwords in a row the account
    is locked for ``policy.lockout``; while locked even the right password
    is refused.

    Raises:
        SignInError: for any refusal (the message says which, for logs).
    """
    now = utcnow()
    cleaned = username.strip().lower()
    # The failure count must be committed before refusing: the refusal is
    # raised once the transaction is over, never from inside it.
    with sessions.begin() as session:
        account = session.scalar(select(Account).where(Account.username == cleaned))
        refusal = _check(account, password, policy, now)
        account_id = account.id if account is not None else None
    if refusal is not None or account_id is None:
        raise SignInError(refusal or "Unknown username")
    logger.info("Console account %d signed in", account_id)
    return account_id


def _check(
    account: Account | None, password: str, policy: AuthPolicy, now: datetime
) -> str | None:
    """Why sign-in is refused (None when it is not); updates the counters."""
    if account is None:
        _verify(_DUMMY_HASH, password)
        return "Unknown username"
    if _is_locked(account, now):
        _verify(_DUMMY_HASH, password)
        logger.warning("Sign-in refused: console account %d locked", account.id)
        return f"Account {account.id} is locked"
    if not _verify(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= policy.lockout_attempts:
            account.locked_until = now + policy.lockout
            account.failed_logins = 0
            logger.warning(
                "Console account %d locked after %d failed sign-ins",
                account.id,
                policy.lockout_attempts,
            )
        return f"Wrong password for account {account.id}"
    if not account.active:
        return f"Account {account.id} is deactivated"
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return None


def is_locked(sessions: sessionmaker[Session], account_id: int) -> bool:
    with sessions() as session:
        return _is_locked(session.get_one(Account, account_id), utcnow())


def _is_locked(account: Account, now: datetime) -> bool:
    until = account.locked_until
    if until is None:
        return False
    if until.tzinfo is None:  # SQLite hands back naive datetimes
        until = until.replace(tzinfo=now.tzinfo)
    return until > now


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- Sessions ----------------------------------------------------------------


def open_session(sessions: sessionmaker[Session], account_id: int) -> str:
    """Start a session; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    with sessions.begin() as session:
        session.add(
            ConsoleSession(
                token_hash=_digest(token),
                account_id=account_id,
                csrf_token=secrets.token_urlsafe(32),
            )
        )
    return token


def resolve_session(
    sessions: sessionmaker[Session],
    token: str,
    policy: AuthPolicy,
    *,
    touch: bool = True,
) -> Viewer | None:
    """The account behind a session token; None when unknown or expired.

    An expired session is deleted. ``touch`` records activity, which keeps
    the session alive for another idle period.
    """
    now = utcnow()
    with sessions.begin() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is None:
            return None
        account = session.get(Account, row.account_id)
        created, seen = _aware(row.created_at, now), _aware(row.last_seen_at, now)
        expired = now - created > policy.max_age or now - seen > policy.idle
        if account is None or not account.active or expired:
            session.delete(row)
            return None
        if touch and now - seen > TOUCH_INTERVAL:
            row.last_seen_at = now
        return Viewer(
            account_id=account.id,
            username=account.username,
            display_name=account.display_name,
            role=Role(account.role),
            csrf_token=row.csrf_token,
        )


def close_session(sessions: sessionmaker[Session], token: str) -> None:
    with sessions.begin() as session:
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token))
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


# --- CSRF ----------------------------------------------------------------------


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return given is not None and hmac.compare_digest(expected, given)


class LoginTokens:
    """CSRF tokens for the sign-in form, before a session exists.

    The form carries a signed, timestamped nonce; a cookie carries the
    nonce. Both must match, so another site cannot post the form.
    """

    def __init__(self, secret_key: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret_key, salt="maraude-console-sign-in"
        )

    def issue(self) -> tuple[str, str]:
        """A (form token, cookie nonce) pair."""
        nonce = secrets.token_urlsafe(16)
        return self._serializer.dumps(nonce), nonce

    def check(self, form_token: str | None, cookie_nonce: str | None) -> bool:
        if not form_token or not cookie_nonce:
            return False
        try:
            nonce = self._serializer.loads(
                form_token, max_age=LOGIN_TOKEN_MAX_AGE_SECONDS
            )
        except BadSignature:
            return False
        return isinstance(nonce, str) and hmac.compare_digest(nonce, cookie_nonce)
