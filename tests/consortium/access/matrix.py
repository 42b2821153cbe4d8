"""`MATRIX`, the contract: endpoint -> method -> the objects it is asked about -> who gets through.

Everyone else is refused: anonymous visitors are sent to the login page (or get the refusal
itself on a public page), signed-in roles get 403, or 404 where the object's existence is
private (`hidden`), or the per-role answer in `deny`: a status, or FLASHED (an error flash
and a redirect, which is a refusal too: the judge never counts it as access). A new endpoint
without an entry fails
`test_every_endpoint_is_in_the_matrix`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.consortium.access.world import (
    ANON,
    DA,
    DB,
    DISTRICTS,
    EVERYONE,
    MANAGERS,
    MEMBERS,
    MX,
    MY,
    NOBODY,
    ROLES,
    SIGNED_IN,
    VA,
    VB,
    VENDORS,
    WEBHOOK_SECRET,
    World,
)
from tests.factories import PASSWORD
from tests.stripe_fake import webhooks
from tests.stripe_fake.store import build_event

# A refusal that redirects with an error flash (rather than a 4xx status).
FLASHED = "an error flash and a redirect"

Params = Callable[[World], dict[str, Any]]
Data = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One request shape: `allowed` roles get through, every other role is refused."""

    what: str
    allowed: frozenset[str]
    params: Params = lambda w: {}  # noqa: E731
    data: Data | None = None  # POST form, per role
    hidden: bool = False  # refused signed-in roles get 404 (the object's existence is private)
    deny: dict[str, int | str] = field(default_factory=dict)  # per-role refusal (or FLASHED)
    headers: Data | None = None  # request headers, per role (a webhook's signature)

    def refusal(self, role: str) -> int | str:
        return self.deny.get(role, 404 if self.hidden else 403)


def sol(key: str) -> Params:
    return lambda w: {"solicitation_id": w[key]}


def ids(**names: str) -> Params:
    return lambda w: {param: w[key] for param, key in names.items()}


def form(values: dict[str, Any]) -> Data:
    return lambda w, role: dict(values)


def solicitation_form(w: World, role: str) -> dict[str, Any]:
    return {
        "title": "Reading intervention 2026-27", "category": "Literacy", "unit": "seat per year",
        "description": "K-5 reading intervention with OneRoster rostering.", "term_months": "12",
        "acceptance_window_days": "21", "currency": "usd", "admin_fee": "1.5",
        "opt_in_deadline": "2026-03-20T17:00", "bid_deadline": "2026-03-27T17:00",
        "dpa_required": "y", "certifications": ["OneRoster 1.2"], "accessibility": "WCAG 2.1 AA",
        "enrollment_max_ratio": "4", "min_group_size": "1", "individual_rationality": "y",
        "time_limit_s": "45", "mip_gap_pct": "0.1",
    }


def profile_form(w: World, role: str) -> dict[str, Any]:
    if role in DISTRICTS:
        return {"nces_id": "1709876", "state": "IL", "enrollment": "2450", "schools": "5",
                "broadband_mbps": "800", "locale": "suburban", "sis": "Infinite Campus"}
    if role in VENDORS:
        return {"dpa_states": ["IL", "IN"], "certifications": ["LTI 1.3"],
                "accessibility": "WCAG 2.1 AA", "website": "https://example.com"}
    return {"name": "Renamed"}


def own_org(w: World, role: str) -> dict[str, Any]:
    return {"organisation_id": w.org(role) if role != ANON else w.org(DA)}


def own_login(w: World, role: str) -> dict[str, Any]:
    actor = w.actors.get(role, w.actors[DA])
    return {"email": actor.email, "password": PASSWORD}


def opt_in_form(w: World, role: str) -> dict[str, Any]:
    # District A holds version 1 of its opt-in to the open solicitation; district B has none.
    return {"quantity": "650", "max_unit_price": "18.50", "version": "1" if role == DA else "0"}


def bid_form(w: World, role: str) -> dict[str, Any]:
    product = w["product of B"] if role == VB else w["product of A"]
    data = {"product": str(product), "tiers_mode": "volume", "capacity": "", "submit": "Submit"}
    rows = [("999", "12.00"), ("", "9.50")]
    for index in range(6):
        up_to, price = rows[index] if index < len(rows) else ("", "")
        data[f"tiers-{index}-up_to"] = up_to
        data[f"tiers-{index}-unit_price"] = price
    return data


NEW_DISTRICT_CSV = "LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL\n1712345,Heron Lake SD 12,IL,1415,2,43\n"
RUN_FORM = form({"label": "Matrix", "min_group_size": "1", "time_limit_s": "10",
                 "mip_gap_pct": "0.1", "individual_rationality": "y", "solver": ""})
PRODUCT_FORM = form({"name": "Acme Reader Pro", "category": "Literacy", "sku": "AR-2",
                     "description": "Levelled readers."})
CLAUSE_FORM = form({"title": "Termination", "body": "Either party may end with 90 days' notice."})
EXTEND_FORM = form({"opt_in_deadline": "2026-03-18T17:00", "bid_deadline": "2026-03-25T17:00"})
EMPTY = form({})
NEW_PASSWORD = form({"password": "a long enough passphrase", "confirm": "a long enough passphrase"})

# ------------------------------------------------------------ payments (issue 8)


def _signed_event(w: World, role: str) -> bytes:
    return webhooks.encode(_WEBHOOK_EVENT)


def _signature(w: World, role: str) -> dict[str, str]:
    payload = webhooks.encode(_WEBHOOK_EVENT)
    return {"Content-Type": "application/json",
            "Stripe-Signature": webhooks.sign(payload, WEBHOOK_SECRET)}


# An event type the application does not handle: acknowledged, and nothing changes.
_WEBHOOK_EVENT = build_event("customer.created", {"id": "cus_matrix", "object": "customer"},
                             event_id="evt_access_matrix")
UNSIGNED = {"Content-Type": "application/json"}
PAYMENT_FORM = form({"amount": "100.00", "received_on": "2026-03-02", "method": "check",
                     "reference": "Check 1001", "expected_paid": "0"})
X_AND_NOT_Y = {MY: 404}  # another consortium's award, vendor or district is not found there
PAYMENTS: dict[str, dict[str, list[Case]]] = {
    "payments.invoices": {"GET": [Case("own invoices (managers: to their payments page)", SIGNED_IN)]},
    "payments.invoice": {"GET": [
        Case("district A's invoice", {DA, VA, MX}, ids(invoice_id="invoice of district A"), hidden=True),
        Case("district B's invoice", {DB, VB, MX}, ids(invoice_id="invoice of district B"), hidden=True),
    ]},
    "payments.print_invoice": {"GET": [
        Case("district A's printable invoice", {DA, VA, MX}, ids(invoice_id="invoice of district A"),
             hidden=True),
    ]},
    "payments.purchase_order": {"POST": [
        # The vendor and the manager may read the invoice; only the district records its PO.
        Case("record a PO on district A's invoice", {DA}, ids(invoice_id="invoice of district A"),
             data=form({"po_number": "PO-77"}), hidden=True, deny={VA: 403, MX: 403}),
    ]},
    "payments.record_payment": {"POST": [
        Case("record a check on district A's invoice", {MX}, ids(invoice_id="invoice of district A"),
             data=PAYMENT_FORM, hidden=True, deny={DA: 403, VA: 403}),
    ]},
    "payments.void": {"POST": [
        Case("void district A's invoice", {MX}, ids(invoice_id="invoice of district A"),
             data=form({"reason": "Entered twice"}), hidden=True, deny={DA: 403, VA: 403}),
    ]},
    "payments.remind": {"POST": [
        Case("remind district B of its overdue invoice", {MX}, ids(invoice_id="invoice of district B"),
             data=EMPTY, hidden=True, deny={DB: 403, VB: 403}),
    ]},
    "payments.fee_statement": {"GET": [
        Case("vendor A's fee statement with X", {VA, MX},
             lambda w: {"consortium_id": w["consortium X"], "vendor_id": w.org(VA)}, hidden=True),
    ]},
    "payments.start_onboarding": {"POST": [
        # Offline (no Stripe keys) a vendor's admin is told so on its organisation page.
        Case("set up Stripe payouts", NOBODY, data=EMPTY, deny={VA: FLASHED, VB: FLASHED}),
    ]},
    "payments.refresh_onboarding": {"GET": [
        Case("Stripe's refresh link", NOBODY, deny={VA: FLASHED, VB: FLASHED}),
    ]},
    "payments.refresh_payouts": {"POST": [
        Case("refresh the payouts status", NOBODY, data=EMPTY, deny={VA: FLASHED, VB: FLASHED}),
    ]},
    "payments.stripe_webhook": {"POST": [
        Case("a signed delivery (of a type not handled)", EVERYONE, data=_signed_event,
             headers=_signature),
        Case("an unsigned delivery", NOBODY, data=_signed_event, headers=lambda w, r: UNSIGNED,
             deny={role: 400 for role in ROLES}),
    ]},
    "payments.manage.index": {"GET": [Case("own consortium's payments", MANAGERS)]},
    "payments.manage.index_csv": {"GET": [Case("own consortium's payments as CSV", MANAGERS)]},
    "payments.manage.scope": {"GET": [
        Case("X's invoiced award", {MX}, lambda w: {"scope": "awards", "key": w["invoiced award"]},
             deny=X_AND_NOT_Y),
        Case("vendor A in X", {MX}, lambda w: {"scope": "vendors", "key": w.org(VA)}, deny=X_AND_NOT_Y),
        Case("district B in X", {MX}, lambda w: {"scope": "districts", "key": w.org(DB)},
             deny=X_AND_NOT_Y),
    ]},
    "payments.manage.scope_csv": {"GET": [
        Case("X's invoiced award as CSV", {MX},
             lambda w: {"scope": "awards", "key": w["invoiced award"]}, deny=X_AND_NOT_Y),
    ]},
    "payments.manage.terms": {
        "GET": [Case("payment terms of X's solicitation", {MX}, sol("invoiced"))],
        "POST": [Case("set payment terms of X's solicitation", {MX}, sol("invoiced"),
                      data=form({"days_until_due": "45", "reminder_days": "14, 3"}))],
    },
}


# The open solicitation's bids are sealed (before the deadline); "sealed" is past the bid
# deadline but not opened: in both, nobody but the bid's own vendor may read a bid.
MATRIX: dict[str, dict[str, list[Case]]] = {
    # --- public pages
    "static": {"GET": [Case("the stylesheet", EVERYONE, lambda w: {"filename": "app.css"})]},
    "main.home": {"GET": [Case("home page", EVERYONE)]},
    "main.healthz": {"GET": [Case("health check", EVERYONE)]},
    "accounts.login": {
        "GET": [Case("sign-in page", EVERYONE)],
        "POST": [Case("sign in (own credentials)", EVERYONE, data=own_login)],
    },
    "accounts.register": {
        "GET": [Case("registration page", EVERYONE)],
        "POST": [Case("register a district", EVERYONE, data=lambda w, role: {
            "kind": "district", "organisation_name": "Maple Valley SD 12",
            "consortium_id": w["consortium X"], "name": "Dana Reyes",
            "email": "dana@maplevalley.example", "password": "a long enough passphrase",
            "confirm": "a long enough passphrase"})],
    },
    "procurement.index": {"GET": [Case("public list", EVERYONE)]},
    "procurement.detail": {"GET": [
        Case("open solicitation", EVERYONE, sol("open")),
        Case("sealed (past bid deadline)", EVERYONE, sol("sealed")),
        Case("bids opened", EVERYONE, sol("opened")),
        Case("awarded", EVERYONE, sol("awarded")),
        Case("draft of X", {MX}, sol("draft"), hidden=True),
    ]},
    "awards.index": {"GET": [Case("published awards", EVERYONE)]},
    "awards.verify": {"GET": [Case("X's award", EVERYONE, ids(award_id="award"))]},
    "awards.input_json": {"GET": [Case("X's award input", EVERYONE, ids(award_id="award"))]},
    "awards.result_json": {"GET": [Case("X's award result", EVERYONE, ids(award_id="award"))]},
    # --- accounts
    "accounts.forgot_password": {
        "GET": [Case("forgotten password page", EVERYONE)],
        "POST": [Case("ask for a reset link", EVERYONE,
                      data=lambda w, r: {"email": w.actors[DA].email})],
    },
    "accounts.reset_password": {
        # The token is the only key: whoever holds a good one may set that password, and a bad
        # one sends everyone back to ask again (an error flash, for every role).
        "GET": [
            Case("reset with Casey's token", EVERYONE, lambda w: {"token": w.tokens["Casey"]}),
            Case("reset with a bad token", NOBODY, lambda w: {"token": "not-a-token"},
                 deny={r: FLASHED for r in ROLES}),
        ],
        "POST": [
            Case("reset with Casey's token", EVERYONE, lambda w: {"token": w.tokens["Casey"]},
                 data=NEW_PASSWORD),
            Case("reset with a bad token", NOBODY, lambda w: {"token": "not-a-token"},
                 data=NEW_PASSWORD, deny={r: FLASHED for r in ROLES}),
        ],
    },
    "accounts.members": {
        "GET": [Case("own organisation's members", SIGNED_IN)],
        "POST": [Case("add a member to own organisation", SIGNED_IN,
                      data=form({"email": "newcomer@example.org", "name": "Newcomer",
                                 "role": "member"}))],
    },
    "accounts.remove_member": {"POST": [
        Case("a member of district A", {DA}, ids(membership_id="membership in A"), data=EMPTY,
             hidden=True),
        Case("a member of vendor B", {VB}, ids(membership_id="membership in vendor B"),
             data=EMPTY, hidden=True),
    ]},
    "accounts.logout": {"POST": [Case("sign out", SIGNED_IN, data=EMPTY)]},
    "accounts.account": {
        # No object in the URL: the page is always the signed-in person's own account.
        "GET": [Case("own account", SIGNED_IN)],
        "POST": [
            Case("change own password", SIGNED_IN, data=form({
                "current": PASSWORD, "password": "a long enough passphrase",
                "confirm": "a long enough passphrase"})),
            # Without the current password a session alone cannot change it.
            Case("change own password, wrong current one", NOBODY, data=form({
                "current": "not the password", "password": "a long enough passphrase",
                "confirm": "a long enough passphrase"}), deny={r: 400 for r in SIGNED_IN}),
        ],
    },
    "accounts.profile": {
        "GET": [Case("own organisation's profile", SIGNED_IN)],
        "POST": [Case("save own profile", SIGNED_IN, data=profile_form)],
    },
    "accounts.switch_org": {"POST": [
        Case("act for own organisation", SIGNED_IN, data=own_org),
        Case("act for district A", {DA}, data=lambda w, r: {"organisation_id": w.org(DA)},
             deny={r: 400 for r in SIGNED_IN}),
    ]},
    "accounts.consortia": {
        "GET": [Case("own standing with consortia", MEMBERS)],
        "POST": [Case("apply to consortium Y", MEMBERS,
                      data=lambda w, r: {"consortium_id": w["consortium Y"]})],
    },
    "accounts.verification": {"GET": [Case("own consortium's applicants", MANAGERS)]},
    "accounts.import_districts": {
        "GET": [Case("own consortium's CCD import", MANAGERS)],
        "POST": [Case("import a new district into own consortium", MANAGERS, data=lambda w, r: {
            "file": (io.BytesIO(NEW_DISTRICT_CSV.encode()), "districts.csv")})],
    },
    "accounts.decide": {"POST": [
        Case("pending applicant to X", {MX}, ids(affiliation_id="pending affiliation"),
             data=form({"decision": "verified"}), hidden=True),
        Case("district A's standing with X", {MX}, ids(affiliation_id="affiliation of A"),
             data=form({"decision": "rejected", "note": "test"}), hidden=True),
    ]},
    "accounts.organisation": {"GET": [
        Case("district A's page", {DA, MX}, lambda w: {"slug": w.slugs[DA]}, hidden=True),
        Case("vendor A's page", {VA, MX}, lambda w: {"slug": w.slugs[VA]}, hidden=True),
        Case("consortium X's page", {MX}, lambda w: {"slug": w.slugs["consortium X"]},
             hidden=True),
    ]},
    # --- procurement
    "procurement.opt_in": {"POST": [
        Case("opt in to the open solicitation", DISTRICTS, sol("open"), data=opt_in_form),
    ]},
    "procurement.withdraw": {"POST": [
        # District B has no opt-in to withdraw: it cannot reach district A's.
        Case("withdraw from the open solicitation", {DA}, sol("open"), data=opt_in_form,
             deny={DB: 400}),
    ]},
    "procurement.my_opt_ins": {"GET": [Case("own opt-ins", DISTRICTS)]},
    "procurement.manage": {"GET": [Case("own consortium's solicitations", MANAGERS)]},
    "procurement.new": {
        "GET": [Case("new solicitation form", MANAGERS)],
        "POST": [Case("create a draft in own consortium", MANAGERS, data=solicitation_form)],
    },
    "procurement.edit": {
        "GET": [
            Case("X's draft", {MX}, sol("draft"), hidden=True, deny={MY: 404}),
            Case("X's open solicitation (deadlines)", {MX}, sol("open")),
        ],
        "POST": [
            Case("X's draft", {MX}, sol("draft"), data=solicitation_form, hidden=True),
            Case("extend X's deadlines", {MX}, sol("open"), data=EXTEND_FORM),
        ],
    },
    "procurement.publish": {"POST": [
        Case("X's draft", {MX}, sol("draft"), data=EMPTY, hidden=True),
    ]},
    "procurement.cancel": {"POST": [
        Case("X's open solicitation", {MX}, sol("open"), data=EMPTY),
        Case("X's draft", {MX}, sol("draft"), data=EMPTY, hidden=True),
    ]},
    "procurement.opt_ins": {"GET": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's awarded solicitation", {MX}, sol("awarded")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "procurement.opt_ins_csv": {"GET": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's awarded solicitation", {MX}, sol("awarded")),
    ]},
    "procurement.clauses": {"GET": [Case("own clause library", MANAGERS)]},
    "procurement.new_clause": {
        "GET": [Case("new clause form", MANAGERS)],
        "POST": [Case("add to own library", MANAGERS, data=CLAUSE_FORM)],
    },
    "procurement.edit_clause": {
        "GET": [Case("X's clause", {MX}, ids(clause_id="clause of X"))],
        "POST": [Case("X's clause", {MX}, ids(clause_id="clause of X"), data=CLAUSE_FORM)],
    },
    # --- bids
    "bids.products": {"GET": [Case("own products", VENDORS)]},
    "bids.product_form": {
        "GET": [
            Case("new product", VENDORS),
            Case("vendor A's product", {VA}, ids(product_id="spare product of A"),
                 deny={VB: 404}),
        ],
        "POST": [
            Case("new product", VENDORS, data=PRODUCT_FORM),
            Case("vendor A's product", {VA}, ids(product_id="spare product of A"),
                 data=PRODUCT_FORM, deny={VB: 404}),
        ],
    },
    "bids.product_delete": {"POST": [
        Case("vendor A's product", {VA}, ids(product_id="spare product of A"), data=EMPTY,
             deny={VB: 404}),
    ]},
    "bids.demand": {"GET": [Case("aggregate demand", VENDORS)]},
    "bids.my_bids": {"GET": [Case("own bids", VENDORS)]},
    "bids.bid_form": {
        "GET": [
            Case("open solicitation", VENDORS, sol("open")),
            Case("sealed solicitation", VENDORS, sol("sealed")),
            Case("X's draft", NOBODY, sol("draft"), hidden=True, deny={MX: 403}),
        ],
        "POST": [Case("bid on the open solicitation", VENDORS, sol("open"), data=bid_form)],
    },
    "bids.bid_withdraw": {"POST": [
        Case("own bid on the open solicitation", VENDORS, sol("open"), data=EMPTY),
    ]},
    "bids.bid_detail": {"GET": [
        Case("A's bid before the deadline", {VA}, lambda w: {"public_id": w.tokens["bid of A (open)"]}, hidden=True),
        Case("B's bid before the deadline", {VB}, lambda w: {"public_id": w.tokens["bid of B (open)"]}, hidden=True),
        Case("A's bid past the deadline, unopened", {VA}, lambda w: {"public_id": w.tokens["bid of A (sealed)"]},
             hidden=True),
        Case("A's opened bid", {VA, MX}, lambda w: {"public_id": w.tokens["bid of A (opened)"]}, hidden=True),
        Case("B's opened bid", {VB, MX}, lambda w: {"public_id": w.tokens["bid of B (opened)"]}, hidden=True),
    ]},
    "bids.receipt": {"GET": [
        Case("A's receipt before the deadline", {VA},
             lambda w: {"public_id": w.tokens["bid of A (open)"], "number": 1}, hidden=True),
        Case("B's receipt before the deadline", {VB},
             lambda w: {"public_id": w.tokens["bid of B (open)"], "number": 1}, hidden=True),
        Case("A's receipt past the deadline, unopened", {VA},
             lambda w: {"public_id": w.tokens["bid of A (sealed)"], "number": 1}, hidden=True),
        Case("B's opened receipt", {VB, MX},
             lambda w: {"public_id": w.tokens["bid of B (opened)"], "number": 1}, hidden=True),
    ]},
    "bids.opening_index": {"GET": [Case("own consortium's openings", MANAGERS)]},
    "bids.opening": {
        "GET": [
            Case("open (sealed: nothing shown)", {MX}, sol("open")),
            Case("past the deadline", {MX}, sol("sealed")),
            Case("opened", {MX}, sol("opened")),
            Case("X's draft", {MX}, sol("draft"), hidden=True),
        ],
        "POST": [Case("open X's bids after the deadline", {MX}, sol("sealed"), data=EMPTY)],
    },
    # --- allocation
    "allocation.index": {"GET": [Case("own consortium's allocations", MANAGERS)]},
    "allocation.runs": {
        "GET": [
            Case("X's opened solicitation", {MX}, sol("opened")),
            Case("X's awarded solicitation", {MX}, sol("awarded")),
        ],
        "POST": [Case("start a run on X's solicitation", {MX}, sol("opened"), data=RUN_FORM)],
    },
    "allocation.compare": {"GET": [Case("X's runs", {MX}, sol("opened"))]},
    "allocation.run": {"GET": [
        Case("X's run", {MX}, ids(run_id="run (opened)")),
        Case("X's published run", {MX}, ids(run_id="run (awarded)")),
    ]},
    "allocation.run_progress": {"GET": [  # the run page's live panel: the run page's access
        Case("X's run", {MX}, ids(run_id="run (opened)")),
        Case("X's published run", {MX}, ids(run_id="run (awarded)")),
    ]},
    "allocation.run_input": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "allocation.run_result": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "allocation.rerun": {"POST": [
        Case("re-run X's run", {MX}, ids(run_id="run (opened)"), data=EMPTY),
    ]},
    "allocation.publish": {
        "GET": [Case("confirm publishing X's run", {MX}, ids(run_id="run (opened)"))],
        "POST": [
            Case("publish X's run, confirmed", {MX}, ids(run_id="run (opened)"),
                 data=form({"confirm": "yes"})),
        ],
    },
    # --- awards
    "awards.reports": {"GET": [Case("own consortium's reports", MANAGERS)]},
    "awards.manage": {"GET": [Case("X's award", {MX}, ids(award_id="award"))]},
    "awards.report": {"GET": [Case("X's award", {MX}, ids(award_id="award"))]},
    "awards.my_contracts": {"GET": [Case("own contracts", DISTRICTS)]},
    "awards.contract": {"GET": [
        Case("district A's contract", {DA, MX}, ids(contract_id="contract of district A"),
             hidden=True),
        Case("district B's contract", {DB, MX}, ids(contract_id="contract of district B"),
             hidden=True),
    ]},
    "awards.decide": {"POST": [
        # The manager may read the contract but only the district decides.
        Case("accept district A's contract", {DA}, ids(contract_id="contract of district A"),
             data=form({"decision": "accept"}), hidden=True, deny={MX: 403}),
        Case("decline district B's contract", {DB}, ids(contract_id="contract of district B"),
             data=form({"decision": "decline", "confirm": "yes",
                        "reason": "The board did not approve the budget."}),
             hidden=True, deny={MX: 403}),
    ]},
    "awards.my_groups": {"GET": [Case("own groups", VENDORS)]},
    "awards.group": {"GET": [
        Case("vendor A's group", {VA, MX}, ids(group_id="group of vendor A"), hidden=True),
        Case("vendor B's group", {VB, MX}, ids(group_id="group of vendor B"), hidden=True),
    ]},
    # --- dashboards (issue 11): each signed-in role lands on its own; reminders are X's managers'
    "dashboard.index": {"GET": [Case("own dashboard", SIGNED_IN)]},
    "dashboard.remind": {"POST": [
        Case("remind the districts undecided on X's award", {MX}, ids(award_id="award"),
             data=EMPTY),
    ]},
    # --- audit and mail
    "audit.index": {"GET": [Case("own consortium's trail", MANAGERS)]},
    "audit.export": {"GET": [Case("own consortium's trail as CSV", MANAGERS)]},
    "audit.verify": {"GET": [Case("verify the chain (own consortium's page)", MANAGERS)]},
    "notifications.outbox": {"GET": [Case("the outbox", MANAGERS)]},
    # --- payments (issue 8): X's "invoiced" award, accepted by both districts (offline mode);
    # district A's invoice (vendor A) is open, district B's (vendor B) overdue.
    **PAYMENTS,
    # --- issue 10: an invitation is answered by its invitee only (a stranger's token is 404)
    "accounts.invitation": {"GET": [
        Case("district A's invitation to vendor B", {DA},
             lambda w: {"token": w.tokens["invitation of A"]}, hidden=True),
    ]},
    "accounts.answer_invitation": {"POST": [
        Case("accept district A's invitation", {DA},
             lambda w: {"token": w.tokens["invitation of A"], "decision": "accept"},
             data=EMPTY, hidden=True),
        Case("decline district A's invitation", {DA},
             lambda w: {"token": w.tokens["invitation of A"], "decision": "decline"},
             data=EMPTY, hidden=True),
    ]},
    # --- issue 10: a registration is finished by whoever holds its mailed link
    "accounts.confirm_registration": {
        "GET": [Case("the confirmation page", EVERYONE,
                     lambda w: {"token": w.tokens["registration"]}),
                Case("a bad link", NOBODY, lambda w: {"token": "not-a-token"},
                     deny={r: FLASHED for r in ROLES})],
        "POST": [Case("confirm the registration", EVERYONE,
                      lambda w: {"token": w.tokens["registration"]}, data=EMPTY)],
    },
}


# --- issue 9: the JSON API (each role calls it with its own token; bodies are JSON) ---


def api_solicitation(w: World, role: str) -> dict[str, Any]:
    return {"title": "Reading intervention 2026-27", "category": "Literacy",
            "opt_in_deadline": "2026-03-20T17:00:00Z", "bid_deadline": "2026-03-27T17:00:00Z",
            "grouping": {"enrollment_max_ratio": 4}}


def api_opt_in(w: World, role: str) -> dict[str, Any]:
    # District A holds version 1 of its opt-in to the open solicitation; district B has none.
    return {"quantity": 650, "max_unit_amount": 1850, "version": 1 if role == DA else 0}


def api_bid(w: World, role: str) -> dict[str, Any]:
    product = w["product of B"] if role == VB else w["product of A"]
    return {"product_id": product, "tiers_mode": "volume", "capacity": None,
            "tiers": [{"up_to": 999, "unit_amount": 1200}, {"up_to": None, "unit_amount": 950}]}


def schedule_upload(w: World, role: str) -> dict[str, Any]:
    product = w["product of B"] if role == VB else w["product of A"]
    return {"upload-product": str(product), "upload-tiers_mode": "volume", "upload-submit": "y",
            "upload-file": (io.BytesIO(b"up_to,unit_price\n999,12.00\n,9.50\n"), "tiers.csv")}


def versioned(key: str, version: int) -> Params:
    return lambda w: {"solicitation_id": w[key], "version": version}


API_MATRIX: dict[str, dict[str, list[Case]]] = {
    "api-docs.openapi_json": {"GET": [Case("the OpenAPI document", EVERYONE)]},
    "api_docs.reference": {"GET": [Case("the API reference page", EVERYONE)]},
    "api.me.me": {"GET": [Case("who the token acts as", SIGNED_IN)]},
    "api.solicitations.list_solicitations": {"GET": [Case("the list", EVERYONE)]},
    "api.solicitations.get_solicitation_": {"GET": [
        Case("open", EVERYONE, sol("open")),
        Case("sealed", EVERYONE, sol("sealed")),
        Case("awarded", EVERYONE, sol("awarded")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "api.solicitations.momentum": {"GET": [
        Case("open", EVERYONE, sol("open")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "api.solicitations.create_solicitation": {"POST": [
        Case("a draft in own consortium", MANAGERS, data=api_solicitation),
    ]},
    "api.solicitations.update_solicitation": {"PATCH": [
        Case("X's draft", {MX}, sol("draft"), data=form({"title": "Renamed"}), hidden=True),
        Case("extend X's deadlines", {MX}, sol("open"),
             data=form({"bid_deadline": "2026-03-30T17:00:00Z"})),
    ]},
    "api.solicitations.publish": {"POST": [
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "api.solicitations.cancel": {"POST": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "api.optins.list_own": {"GET": [Case("own opt-ins", DISTRICTS)]},
    "api.optins.get_own": {"GET": [
        # District B has no opt-in: 404; non-districts have none to have: 403.
        Case("own opt-in to the open one", {DA}, sol("open"), deny={DB: 404}),
    ]},
    "api.optins.put_own": {"PUT": [
        Case("opt in to the open solicitation", DISTRICTS, sol("open"), data=api_opt_in),
    ]},
    "api.optins.withdraw_own": {"DELETE": [
        Case("withdraw from the open solicitation", {DA}, versioned("open", 1), deny={DB: 404}),
    ]},
    "api.optins.list_all": {"GET": [
        Case("X's open solicitation", {MX}, sol("open")),
        Case("X's draft", {MX}, sol("draft"), hidden=True),
    ]},
    "api.bids.list_own": {"GET": [Case("own bids", VENDORS)]},
    "api.bids.products": {"GET": [Case("own products", VENDORS)]},
    "api.bids.get_bid": {"GET": [
        # Bids are named by their opaque public id (issue 10), in the API too.
        Case("A's bid before the deadline", {VA}, lambda w: {"bid_id": w.tokens["bid of A (open)"]},
             hidden=True),
        Case("A's bid past the deadline, unopened", {VA},
             lambda w: {"bid_id": w.tokens["bid of A (sealed)"]}, hidden=True),
        Case("B's opened bid", {VB, MX}, lambda w: {"bid_id": w.tokens["bid of B (opened)"]},
             hidden=True),
    ]},
    "api.bids.get_own": {"GET": [
        Case("own bid on the open solicitation", VENDORS, sol("open")),
        Case("X's draft", NOBODY, sol("draft"), hidden=True, deny={MX: 403}),
    ]},
    "api.bids.submit": {"PUT": [
        Case("bid on the open solicitation", VENDORS, sol("open"), data=api_bid),
        Case("bid past the deadline", NOBODY, sol("sealed"), data=api_bid,
             deny={VA: 409, VB: 409}),
    ]},
    "api.bids.withdraw": {"DELETE": [
        Case("own bid on the open solicitation", VENDORS, sol("open")),
    ]},
    "api.bids.open_": {"POST": [
        Case("open X's bids after the deadline", {MX}, sol("sealed")),
        Case("X's bids before the deadline", NOBODY, sol("open"), deny={MX: 409}),
    ]},
    "api.runs.list_runs": {"GET": [Case("X's opened solicitation", {MX}, sol("opened"))]},
    "api.runs.start": {"POST": [
        Case("a run on X's solicitation", {MX}, sol("opened"), data=form({"label": "Matrix"})),
    ]},
    "api.runs.get_run": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "api.runs.run_input": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "api.runs.run_result": {"GET": [Case("X's run", {MX}, ids(run_id="run (opened)"))]},
    "api.runs.publish": {"POST": [Case("publish X's run", {MX}, ids(run_id="run (opened)"))]},
    "api.awards.list_awards": {"GET": [Case("published awards", EVERYONE)]},
    "api.awards.get_award": {"GET": [Case("X's award", EVERYONE, ids(award_id="award"))]},
    "api.awards.list_own_groups": {"GET": [Case("own groups", VENDORS)]},
    "api.awards.get_group": {"GET": [
        Case("vendor A's group", {VA, MX}, ids(group_id="group of vendor A"), hidden=True),
        Case("vendor B's group", {VB, MX}, ids(group_id="group of vendor B"), hidden=True),
    ]},
    "api.contracts.list_contracts": {"GET": [
        Case("own contracts (districts), the consortium's (managers)", DISTRICTS | MANAGERS),
    ]},
    "api.contracts.get_contract": {"GET": [
        Case("district A's contract", {DA, MX}, ids(contract_id="contract of district A"),
             hidden=True),
    ]},
    "api.contracts.accept": {"POST": [
        Case("accept district A's contract", {DA}, ids(contract_id="contract of district A"),
             hidden=True, deny={MX: 403}),
    ]},
    "api.contracts.decline": {"POST": [
        Case("decline district B's contract", {DB}, ids(contract_id="contract of district B"),
             data=form({"reason": "The board did not approve the budget."}),
             hidden=True, deny={MX: 403}),
    ]},
    # Open data (OCDS): public, and a draft does not exist.
    "opendata.index": {"GET": [Case("what the feed is", EVERYONE)]},
    "opendata.package": {"GET": [Case("every published solicitation", EVERYONE)]},
    "opendata.solicitation_release": {"GET": [
        Case("the awarded one", EVERYONE, sol("awarded")),
        Case("X's draft", NOBODY, sol("draft"), deny={r: 404 for r in ROLES}),
    ]},
    # Bulk data in: the district import's template, a vendor's tier schedule as CSV.
    "accounts.import_template": {"GET": [Case("the district CSV template", MANAGERS)]},
    "bids.schedule_template": {"GET": [Case("the tier schedule CSV template", VENDORS)]},
    "bids.schedule_upload": {"POST": [
        Case("a schedule file for the open solicitation", VENDORS, sol("open"),
             data=schedule_upload),
    ]},
    # The account page's API tokens.
    "accounts.create_token": {"POST": [
        Case("a token of one's own", SIGNED_IN,
             data=lambda w, r: {"name": "Matrix", "organisation_id": w.org(r if r != ANON else DA)}),
    ]},
    "accounts.revoke_token": {"POST": [
        Case("district A's admin's token", {DA}, ids(token_id="token of A"), data=EMPTY,
             hidden=True),
    ]},
}
MATRIX.update(API_MATRIX)
