"""One error hierarchy; every message is a sentence a person can act on, never a secret."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error the vault reports to a person.

    ``exit_code`` is what the CLI exits with: 1 operation failed, 2 usage error,
    3 wrong passphrase, 4 vault file damaged, unsupported or not a vault.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(VaultError):
    """The command line or a form value is wrong."""

    exit_code = 2


class WrongPassphrase(VaultError):
    """The passphrase does not open this vault."""

    exit_code = 3

    def __init__(self, message: str = "Wrong passphrase: the vault could not be unlocked.") -> None:
        super().__init__(message)


class VaultFileError(VaultError):
    """The file cannot be read as a vault; nothing was changed."""

    exit_code = 4


class NotAVault(VaultFileError):
    """The file is not a tokenvault file at all."""


class VaultTruncated(VaultFileError):
    """The file ends early: a copy was cut short or a disk lost its tail."""


class VaultCorrupted(VaultFileError):
    """The file was damaged or tampered with; ``part`` names where."""

    def __init__(self, message: str, part: str = "file") -> None:
        super().__init__(message)
        self.part = part


class UnsupportedFormat(VaultFileError):
    """Written by a newer tokenvault, or with settings this version refuses."""


class VaultNotFound(VaultError):
    """No vault exists at the path."""


class VaultExists(VaultError):
    """``init`` would overwrite a vault."""


class VaultLocked(VaultError):
    """Another process holds the vault's write lock for too long."""


class SaveFailed(VaultError):
    """A save could not complete; the vault on disk is the previous version."""


class CredentialNotFound(VaultError):
    """No credential has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No credential named {name!r} in this vault.")
        self.name = name


class DuplicateCredential(VaultError):
    """A credential with that name already exists."""

    exit_code = 2

    def __init__(self, name: str) -> None:
        super().__init__(f"A credential named {name!r} already exists; choose another name.")
        self.name = name


class ProviderError(VaultError):
    """A provider refused or failed; the stored token is kept.

    Attributes:
        status: the HTTP status, or None for timeouts and connection errors.
        provider_message: the provider's own words (plain-text bodies included), trimmed.
    """

    def __init__(
        self, message: str, status: int | None = None, provider_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.provider_message = provider_message


class ConfigError(VaultError):
    """The config or a theme file has a problem; named with file and key."""

    exit_code = 2
