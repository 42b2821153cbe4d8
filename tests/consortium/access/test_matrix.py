"""Every endpoint of the app, with every role, against one explicit table of who may do what.

Every rule of `app.url_map` is requested by every role: GET, and for POST a valid-looking form
(CSRF is off in tests). Each request runs in a SAVEPOINT that is rolled back afterwards, so
every request sees the same world (`world.py`); `matrix.py` says who gets through and
`harness.py` walks and judges. A denied request must also change nothing (no audit event, no
mail).
"""

from __future__ import annotations

from tests.consortium.access.harness import Outcome, Walker, is_api, judge, requests, world_rows
from tests.consortium.access.matrix import FLASHED, MATRIX, Case
from tests.consortium.access.world import ANON, DA, DB, NOBODY, ROLES


def test_every_endpoint_is_in_the_matrix(app):
    """Every (rule, method) of the app is exercised by some case, and the table names no ghosts."""
    served = {
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing_endpoints = {(e, m) for e, _r, m in served if m not in MATRIX.get(e, {})}
    assert not missing_endpoints, (
        "endpoints without an entry in MATRIX (add who may use them): "
        + ", ".join(f"{m} {e}" for e, m in sorted(missing_endpoints))
    )
    ghosts = {(e, m) for e, methods in MATRIX.items() for m in methods} - {
        (e, m) for e, _r, m in served
    }
    assert not ghosts, f"MATRIX names endpoints the app does not serve: {sorted(ghosts)}"


def test_every_rule_is_reached_by_a_case(app, world):
    adapter = app.url_map.bind("localhost")
    reached = set()
    for endpoint, method, _case, url, _params in requests(app, world):
        rule, _args = adapter.match(url.split("?")[0], method=method, return_rule=True)
        assert rule.endpoint == endpoint, f"{url} reaches {rule.endpoint}, not {endpoint}"
        reached.add((rule.rule, method))
    every = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(every - reached) == []


def test_access_matrix(app, world, sessions, api_tokens):
    """Every case of MATRIX with every role; one failure lists every mismatch."""
    from consortium.policy import is_public_endpoint

    walker = Walker(app, sessions, api_tokens)
    rows_before = world_rows(walker.connection)
    mismatches = []
    count = 0
    for endpoint, method, case, url, _params in requests(app, world):
        for role in ROLES:
            data = case.data(world, role) if case.data else None
            headers = case.headers(world, role) if case.headers else None
            count += 1
            api = is_api(endpoint)
            try:
                outcome = walker.send(role, method, url, data, api=api, headers=headers)
            except Exception as exc:  # noqa: BLE001 - a crash is a mismatch to list, not a stop
                mismatches.append(f"{method} {url} [{endpoint}: {case.what}] as {role}: "
                                  f"raised {type(exc).__name__}: {exc}")
                continue
            with app.test_request_context():
                public = is_public_endpoint(endpoint)
            expected = judge(case, role, method, outcome, api=api, public=public)
            if role != ANON and endpoint != "accounts.logout" and not outcome.no_store:
                # Issue 10: nothing a signed-in person (a cookie, or an API token) receives
                # may be kept by a browser or a proxy: pages, invoices, API answers alike
                # (logout's redirect is to someone no longer signed in).
                expected = (expected + "; " if expected else "") + "Cache-Control: no-store"
            if expected:
                mismatches.append(
                    f"{method} {url} [{endpoint}: {case.what}] as {role}: "
                    f"got {outcome.describe()}, expected {expected}"
                )
    assert count > 400
    assert world_rows(walker.connection) == rows_before, "a request of the walk was not rolled back"
    assert not mismatches, f"{len(mismatches)} of {count} requests differ from MATRIX:\n" + "\n".join(
        mismatches
    )


def test_public_endpoints_are_exactly_those_anonymous_may_use(app):
    """What the policy lets through without signing in is what the table calls public."""
    from consortium.policy import is_public_endpoint

    with app.test_request_context():
        policy_public = {e for e in MATRIX if is_public_endpoint(e)}
    table_public = {
        e for e, methods in MATRIX.items()
        if any(ANON in case.allowed for cases in methods.values() for case in cases)
    }
    # The draft's detail page is public in form, but a draft is 404 for everyone outside X.
    assert policy_public == table_public


def test_the_judge_counts_a_flash_and_redirect_refusal_as_refused():
    """A redirect that flashes an error is a refusal, not access (the walk once counted it so)."""
    served = Outcome(302, "/bids/products", changed=True)
    refused = Outcome(302, "/bids/products", changed=False, errors=("The deadline has passed.",))
    allowed = Case("an action", frozenset({DA}))
    assert judge(allowed, DA, "POST", served) is None
    assert judge(allowed, DA, "POST", refused) is not None
    assert judge(allowed, DA, "POST", Outcome(302, "/login?next=%2Fbids%2F", False)) is not None
    flashed = Case("a bad link", NOBODY, deny={DA: FLASHED})
    assert judge(flashed, DA, "GET", refused) is None
    assert judge(flashed, DA, "GET", served) is not None
    assert judge(flashed, DB, "GET", Outcome(403, "", False)) is None  # the default refusal
