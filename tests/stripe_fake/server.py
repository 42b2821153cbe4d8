"""A local Stripe for tests: the real SDK talks HTTP to it on 127.0.0.1.

It answers the endpoints the gateway uses with Stripe's example objects updated by what was
posted, records every request (method, path, Idempotency-Key, decoded form), and keeps
Stripe's idempotency rules: the same key and parameters replay the first answer (with
`Idempotent-Replayed: true`); the same key with other parameters or another endpoint is a
400 `idempotency_error`. Requests are served one at a time (Stripe would answer a
concurrent duplicate with a 409 the SDK retries; the outcome, one object, is the same).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.stripe_fake import invoices, resources
from tests.stripe_fake.errors import StripeApiError
from tests.stripe_fake.forms import decode_form, decode_pairs
from tests.stripe_fake.pages import serve_page
from tests.stripe_fake.store import Origin, Store, build_event

Handler = Callable[[Store, dict[str, str], dict[str, Any], Origin], dict[str, Any]]


def _on(call: Callable[..., dict[str, Any]]) -> Handler:
    return lambda store, args, params, origin: call(store, args["id"], params, origin)


def _new(call: Callable[..., dict[str, Any]]) -> Handler:
    return lambda store, args, params, origin: call(store, params, origin)


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("POST", "/v1/customers", _new(resources.create_customer)),
        ("POST", "/v1/accounts", _new(resources.create_account)),
        ("POST", "/v1/account_links", _new(resources.create_account_link)),
        ("POST", "/v1/invoices", _new(invoices.create_invoice)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/add_lines", _on(invoices.add_lines)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/finalize", _on(invoices.finalize)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/send", _on(invoices.send)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/void", _on(invoices.void)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/mark_uncollectible", _on(invoices.mark_uncollectible)),
        ("POST", r"/v1/invoices/(?P<id>[^/]+)/pay", _on(invoices.pay)),
        ("GET", "/v1/invoice_payments", _new(invoices.list_invoice_payments)),
        ("GET", r"/v1/(?P<collection>customers|accounts|invoices|charges|events|invoice_payments)"
                r"/(?P<id>[^/]+)",
         lambda store, args, params, origin: resources.retrieve(store, args["collection"], args["id"])),
    ]
]


def _route(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return handler, match.groupdict()
    return None


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the fake received it, and how it answered."""

    method: str
    path: str
    query: dict[str, Any]
    form: dict[str, Any]
    idempotency_key: str | None
    api_key: str | None
    stripe_version: str | None
    status: int
    replayed: bool


@dataclass(frozen=True)
class _Saved:
    method: str
    path: str
    form: dict[str, Any]
    status: int
    body: dict[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeStripe


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._serve(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class FakeStripe:
    """A running fake Stripe: `base_url` for the SDK, `requests` and `store` for asserts."""

    def __init__(self) -> None:
        self.store = Store()
        self.requests: list[RecordedRequest] = []
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._lose: list[tuple[str, str]] = []
        self._server: _Server | None = None
        self.base_url = ""

    def start(self) -> FakeStripe:
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.fake = self
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.store.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def lose_next_response(self, method: str, path: str) -> None:
        """Do the next such request, then hang up without answering (a lost response)."""
        self._lose.append((method, path))

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if not url.path.startswith("/v1/"):
            with self.store.lock:
                status, headers, content = serve_page(self.store, method, url.path, body)
            return self._write(handler, status, headers, content)
        headers = handler.headers
        auth = headers.get("Authorization", "")
        api_key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        key = headers.get("Idempotency-Key")
        request_id = self.store.new_id("req", 14)
        with self.store.lock:
            try:
                query = decode_pairs(parse_qsl(url.query, keep_blank_values=True))
                form = decode_form(body) if method == "POST" else {}
            except ValueError as error:
                query, form = {}, {}
                status, answer, replayed = 400, StripeApiError(400, str(error)).body(), False
            else:
                # A GET's parameters are its query (list filters); a POST's its form.
                params = form if method == "POST" else query
                status, answer, replayed = self._answer(
                    method, url.path, params, api_key, key, Origin(request_id, key))
            self.requests.append(RecordedRequest(
                method=method, path=url.path, query=query, form=form, idempotency_key=key,
                api_key=api_key, stripe_version=headers.get("Stripe-Version"), status=status,
                replayed=replayed,
            ))
            lose = (method, url.path) in self._lose
            if lose:
                self._lose.remove((method, url.path))
        if lose:
            handler.close_connection = True
            return
        reply = {"Content-Type": "application/json", "Request-Id": request_id}
        if replayed:
            reply["Idempotent-Replayed"] = "true"
        self._write(handler, status, reply, json.dumps(answer, indent=2).encode())

    def _write(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
               content: bytes) -> None:
        handler.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(content))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(content)

    def _answer(self, method: str, path: str, form: dict[str, Any], api_key: str | None,
                key: str | None, origin: Origin) -> tuple[int, dict[str, Any], bool]:
        if not api_key or not api_key.startswith(("sk_test_", "rk_test_")):
            return 401, StripeApiError(401, "Invalid API Key provided.").body(), False
        found = _route(method, path)
        if found is None:
            return 404, StripeApiError(
                404, f"Unrecognized request URL ({method}: {path}).").body(), False
        handler, args = found
        idempotent = method == "POST" and key
        if idempotent and (api_key, key) in self._saved:
            saved = self._saved[(api_key, key)]
            if (saved.method, saved.path) != (method, path):
                message = (f"Keys for idempotent requests can only be used for the same endpoint "
                           f"they were first used for ('{saved.method} {saved.path}').")
            elif saved.form != form:
                message = ("Keys for idempotent requests can only be used with the same "
                           "parameters they were first used with.")
            else:
                return saved.status, copy.deepcopy(saved.body), True
            error = StripeApiError(400, f"{message} Try using a key other than '{key}' if you "
                                   "meant to execute a different request.", type="idempotency_error")
            return 400, error.body(), False
        try:
            status, answer, save = 200, copy.deepcopy(handler(self.store, args, form, origin)), True
        except StripeApiError as error:
            status, answer, save = error.status, error.body(), error.saved
        if idempotent and save:
            self._saved[(api_key, key)] = _Saved(method, path, form, status, copy.deepcopy(answer))
        return status, answer, False

    # What tests read and do from outside the API.

    def posts(self, path: str | None = None) -> list[RecordedRequest]:
        """The POST requests received, optionally only those to `path`."""
        return [r for r in self.requests if r.method == "POST" and path in (None, r.path)]

    def get(self, object_id: str) -> dict[str, Any]:
        """A copy of an object as Stripe holds it now."""
        return self.store.snapshot(object_id)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Copies of every object of one kind (`customer`, `invoice`, `account`, ...)."""
        with self.store.lock:
            return [copy.deepcopy(o) for o in self.store.objects.values() if o["object"] == kind]

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """The events Stripe would have sent so far, oldest first."""
        with self.store.lock:
            return [copy.deepcopy(e) for e in self.store.events if type in (None, e["type"])]

    def event_for(self, object_id: str, type: str, *, previous_attributes: dict | None = None,
                  account: str | None = None) -> dict[str, Any]:
        """A new event of any `type` around the object's current state (not recorded)."""
        with self.store.lock:
            return build_event(type, self.store.objects[object_id], account=account,
                               previous_attributes=previous_attributes,
                               event_id=self.store.new_id("evt"))

    def pay_on_hosted_page(self, invoice_id: str) -> dict[str, Any]:
        """The district pays the invoice by card or ACH on Stripe's hosted page."""
        return invoices.pay_on_hosted_page(self.store, invoice_id)

    def fail_payment(self, invoice_id: str) -> dict[str, Any]:
        """A payment attempt on the hosted page fails."""
        return invoices.fail_payment(self.store, invoice_id)

    def refund(self, charge_id: str, amount: int | None = None) -> dict[str, Any]:
        """The charge is refunded, in whole or in part."""
        return invoices.refund(self.store, charge_id, amount)

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The vendor finishes onboarding: charges and payouts enabled."""
        return resources.complete_onboarding(self.store, account_id)

    def update_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        """Stripe changes an account (requirements due, payouts paused...)."""
        return resources.update_account(self.store, account_id, **changes)
