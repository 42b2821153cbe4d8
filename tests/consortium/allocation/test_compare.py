"""The compare page: seats served first, a flag on runs that serve fewer, one short table."""

from __future__ import annotations

import re

import pytest

from consortium import charts
from consortium.allocation import services
from consortium.allocation.models import AllocationRun
from consortium.allocation.words import gap_percent, policy_summary
from consortium.extensions import db
from tests.consortium.allocation.fakes import dropping_solve, fake_solve


@pytest.fixture
def scenario(make, clock):
    return make.allocation_scenario()


def performed(scenario, label: str, solve, **policy) -> AllocationRun:
    run = services.start_run(scenario.solicitation, scenario.manager.user, label=label, policy=policy)
    db.session.commit()
    return services.perform_run(run.id, solve=solve)


def test_runs_are_ordered_by_seats_served_and_the_one_serving_fewer_is_flagged(client, login, scenario):
    # "Cheap" leaves Birch Valley out: it spends less, so it saves more per seat bought... but
    # it serves fewer seats, so it comes second and says how many fewer.
    cheap = performed(scenario, "Cheap", dropping_solve(leave_out=2))
    full = performed(scenario, "Everyone", fake_solve)
    login(client, scenario.manager)
    page = client.get(f"/solicitations/{scenario.solicitation.id}/allocation/compare").get_data(as_text=True)
    heads = re.findall(r'<th scope="col"><a href="/allocation/runs/(\d+)">', page)
    assert heads == [str(full.id), str(cheap.id)]
    assert "Serves 600 fewer seats than run “Everyone”" in page
    assert page.count("fewer seats than run") == 1
    assert "Serves 1,000 of 6,000 seats asked for; at most 1,000 can be served (proven): no allocation serves more." in page
    assert "Serves 400 of 6,000 seats asked for; at most 6,000 can be served (proven), 5,600 more than this." in page
    # Publish comes before the long rows, the left-out lists are collapsed.
    assert page.index(">Publish<") < page.index(">Total spend<") < page.index(">Districts left out<")
    assert page.count("<details><summary>") == 2


def test_the_flag_counts_against_every_succeeded_run_even_when_not_chosen(client, login, scenario):
    performed(scenario, "Everyone", fake_solve)
    cheap = performed(scenario, "Cheap", dropping_solve(leave_out=2))
    login(client, scenario.manager)
    page = client.get(
        f"/solicitations/{scenario.solicitation.id}/allocation/compare?run={cheap.id}"
    ).get_data(as_text=True)
    assert "Serves 600 fewer seats than run “Everyone”" in page


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ({"min_group_size": 2, "max_group_size": 4, "mip_gap": 0.001, "time_limit_s": 60,
          "similarity": [{"feature": "locale", "same": True}, {"feature": "enrollment", "max_ratio": 2}],
          "individual_rationality": False},
         "groups of 2 to 4 districts; same locale; enrollment within 2x; gap target 0.1%; time limit 60 s"),
        ({"similarity": [{"feature": "mbps_per_student", "max_spread": 0.5}], "mip_gap": 0.0005},
         "groups of any size; broadband per student within 0.5 of each other; nobody pays more"
         " than alone; gap target 0.05%; time limit 60 s"),
        ({"min_group_size": 3}, "groups of 3 or more districts; nobody pays more than alone;"
         " gap target 0.1%; time limit 60 s"),
    ],
)
def test_the_policy_in_words(policy, words):
    assert policy_summary(policy) == words


def test_the_gap_reads_as_the_percentage_the_form_takes():
    assert (gap_percent(0.001), gap_percent(0.0), gap_percent(0.01234), gap_percent(None)) == (
        "0.1%", "0%", "1.234%", "—")


def test_the_run_page_shows_no_raw_policy_and_no_group_codes(client, login, scenario):
    run = performed(scenario, "Baseline", fake_solve, min_group_size=2)
    login(client, scenario.manager)
    page = client.get(f"/allocation/runs/{run.id}").get_data(as_text=True)
    assert "groups of 2 or more districts" in page
    assert '"similarity"' not in page and "min_group_size" not in page
    assert not re.search(r"\bg\d+\b", page)


def test_compare_chart_labels_never_overlap():
    labels = [f"Scenario {i}: same locale, groups of 2 to 8, enrollment within 4x and more" for i in range(6)]
    figure = charts.hbar_chart([(label, 10.0 + i) for i, label in enumerate(labels)],
                               title="Savings", value_label="savings (%)", percent=True)
    svg = str(figure.svg)
    shown = re.findall(r'<text x="8\.0" y="([\d.]+)" text-anchor="start" font-size="(\d+)"[^>]*>([^<]+)</text>', svg)
    assert len(shown) == 6
    ys = [float(y) for y, _, _ in shown]
    assert all(b - a >= 20 for a, b in zip(ys, ys[1:], strict=False))  # a row each
    for _y, size, text in shown:  # cut to the label column (about 0.58 em a character)
        assert text.endswith("…") and len(text) * int(size) * 0.58 <= charts.LABEL_COLUMN - 60
    bars = [float(x) for x in re.findall(r'<rect x="([\d.]+)"', svg)]
    assert min(bars) >= charts.LABEL_COLUMN - 60  # bars start right of the labels
    assert [row[0] for row in figure.rows] == labels  # the full labels in the data table
    assert all(f"<title>{label}: " in svg for label in labels)
