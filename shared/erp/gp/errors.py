"""What GP answered when it refused a request, as the port's errors (no I/O)."""

from __future__ import annotations

from shared.erp.port import PermanentErpError

RIGHTS_HINT = (
    "check that the account is a GP user with Web Services / SBA rights for this company "
    "(Dynamics Security Service) and that its password in Key Vault is current"
)


class GpRefused(PermanentErpError):
    """GP refused a business request (a validation error); ``messages`` are GP's validation messages."""

    def __init__(self, operation: str, messages: list[str], *, system: bool = False) -> None:
        text = "; ".join(messages) or "no message"
        super().__init__(f"GP refused {operation}: {text}", code="system" if system else "validation")
        self.operation = operation
        self.messages = messages
        self.system = system

    def says(self, *phrases: str) -> bool:
        """Whether a message contains any of the phrases (case-insensitive)."""
        lowered = [message.lower() for message in self.messages]
        return any(phrase.lower() in message for phrase in phrases for message in lowered)

    @property
    def not_found(self) -> bool:
        return self.says("does not exist", "was not found")


def account_refused(username: str, what: str) -> PermanentErpError:
    """The clear error when Windows authentication or GP authorisation refuses the account."""
    return PermanentErpError(f"GP refused the account {username} ({what}): {RIGHTS_HINT}", status=401, code="rights")
