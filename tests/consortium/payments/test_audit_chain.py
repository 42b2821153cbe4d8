"""Issue 10's audit chains hold for payments: every invoice and payment event is in its
consortium's chain, which its managers read whole and an outsider re-checks from the CSV."""

from __future__ import annotations

from consortium.audit.services import verify_chain
from tests.consortium.audit.helpers import export, verify_from_csv

PAYMENT = {"amount": "2,000.00", "received_on": "2026-03-02", "method": "check",
           "reference": "Check 10442", "expected_paid": "0"}


def test_invoice_and_payment_events_are_in_the_consortiums_chain(client, login, awarded):
    s = awarded.scenario
    invoice = awarded.accept(s.district_a)
    login(client, s.district_a)
    assert client.post(f"/invoices/{invoice.id}/purchase-order",
                       data={"po_number": "PO-2026-0457"}).status_code == 303
    client.post("/logout")
    login(client, awarded.manager)
    assert client.post(f"/invoices/{invoice.id}/payments", data=PAYMENT).status_code == 303

    rows = export(client)
    chain = f"consortium-{s.solicitation.consortium_id}"
    money = [r for r in rows if r["object_type"] in ("invoices", "payments")]
    assert {"invoice.created", "invoice.purchase_order_recorded", "payment.recorded",
            "invoice.payment_applied"} <= {r["action"] for r in money}
    assert {r["chain"] for r in money} == {chain}
    verify_from_csv(rows)
    assert verify_chain() == []
