"""The audit trail as a manager exports it, and re-checking its chains from the CSV alone."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from consortium.audit.models import canonical_json


def export(client) -> list[dict[str, str]]:
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def verify_from_csv(rows: list[dict[str, str]]) -> None:
    """What an outsider can check from the export: every chain complete, linked and hashed."""
    chains: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        chains.setdefault(row["chain"], []).append(row)
    for name, events in chains.items():
        events.sort(key=lambda r: int(r["seq"]))
        assert [int(r["seq"]) for r in events] == list(range(1, len(events) + 1)), name
        previous = "0" * 64
        for row in events:
            assert row["prev_hash"] == previous, (name, row["seq"])
            payload = {
                "at": row["at"], "action": row["action"], "object_type": row["object_type"],
                "object_id": row["object_id"] or None, "prev_hash": row["prev_hash"],
                "before": None if row["before"] == "" else json.loads(row["before"]),
                "after": None if row["after"] == "" else json.loads(row["after"]),
                "chain": row["chain"], "seq": int(row["seq"]),
                **{k: int(row[k]) if row[k] else None
                   for k in ("actor_user_id", "actor_org_id", "consortium_id")},
            }
            assert hashlib.sha256(canonical_json(payload).encode()).hexdigest() == row["hash"]
            previous = row["hash"]
