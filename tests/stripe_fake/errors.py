"""Stripe's error answers, and which of them its idempotency layer keeps."""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error the fake answers with, shaped as Stripe's `{"error": {...}}`."""

    def __init__(
        self, status: int, message: str, *, type: str = "invalid_request_error",
        code: str | None = None, param: str | None = None, saved: bool = True,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.code, self.param = code, param
        # Stripe saves an idempotent result only once the endpoint started executing:
        # a request rejected while its parameters are checked can be retried with the key.
        self.saved = saved

    def body(self) -> dict[str, Any]:
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


def param_missing(param: str) -> StripeApiError:
    return StripeApiError(400, f"Missing required param: {param}.", code="parameter_missing",
                          param=param, saved=False)


def param_invalid(param: str, message: str, code: str = "parameter_invalid") -> StripeApiError:
    return StripeApiError(400, message, code=code, param=param, saved=False)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    status = 404 if param == "id" else 400
    return StripeApiError(status, f"No such {kind}: '{object_id}'", code="resource_missing",
                          param=param)


def bad_state(message: str, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, message, code=code)
