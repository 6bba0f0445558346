"""Refusals a person can understand: a stable code for programs, a translated message for people."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString


class KitError(Exception):
    """Something kit refuses to do; nothing was changed."""

    status = 400

    def __init__(self, code: str, message: LazyString | str) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message

    def as_ack(self) -> dict[str, Any]:
        # str() translates now, in the language of whoever asked
        return {"ok": False, "error": {"code": self.code, "message": str(self.message)}}


class NotFound(KitError):
    status = 404

    def __init__(self, message: LazyString | str) -> None:
        super().__init__("not_found", message)


class Forbidden(KitError):
    status = 403

    def __init__(self, message: LazyString | str) -> None:
        super().__init__("forbidden", message)


class InvalidInput(KitError):
    """A submission that fails validation; `field` names the input at fault."""

    def __init__(self, message: LazyString | str, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(code, message)
        self.field = field

    def as_ack(self) -> dict[str, Any]:
        ack = super().as_ack()
        if self.field:
            ack["error"]["field"] = self.field
        return ack


class OptionError(Exception):
    """An activity option in a meeting template is wrong; `key` is the option's name."""

    def __init__(self, key: str, message: LazyString | str) -> None:
        super().__init__(str(message))
        self.key = key
        self.message = message
