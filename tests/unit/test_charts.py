"""planner.charts: plain lists in, a well-formed SVG string out (portal, PDF and overview)."""

import xml.etree.ElementTree as ET

import pytest

from planner.charts import bar_chart, cost_chart, nice_ticks, storage_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str):
    return ET.fromstring(svg)


def test_storage_chart_one_bar_per_point_workspace_highlighted():
    points = [["full 1", 1160.6], ["inc 1", 1255.1], ["inc 2", 1349.7], ["workspace", 3608.6]]
    root = parse(storage_chart(points))
    bars = root.findall(f"{NS}rect")
    assert len(bars) == 4
    assert bars[-1].get("fill") != bars[0].get("fill")
    assert float(bars[-1].get("height")) > float(bars[0].get("height"))
    assert "workspace: 3,608.6 GiB" in bars[-1].find(f"{NS}title").text
    assert root.get("role") == "img"


@pytest.mark.parametrize("months", [12, 36])
def test_cost_chart_months(months):
    costs = [10.0 + i for i in range(36)]
    root = parse(cost_chart(costs, months))
    assert len(root.findall(f"{NS}rect")) == months
    assert f"{months} months" in root.find(f"{NS}title").text
    assert f"total USD {sum(costs[:months]):,.2f}" in root.find(f"{NS}title").text


def test_cost_chart_only_12_or_36():
    with pytest.raises(ValueError, match="12 or 36"):
        cost_chart([1.0] * 36, 24)


def test_labels_are_thinned_so_they_never_overlap():
    root = parse(bar_chart([f"p{i}" for i in range(60)], [1.0] * 60, title="t", unit="GiB"))
    labels = [t.text for t in root.findall(f"{NS}text") if (t.text or "").startswith("p")]
    assert 5 <= len(labels) <= 12


def test_text_is_escaped():
    svg = bar_chart(["<script>"], [1.0], title="a & b", unit="<u>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


def test_empty_and_zero_data():
    assert "not protected by backup-restore" in storage_chart([])
    assert "No data yet" in bar_chart([], [], title="t", unit="GiB")
    parse(cost_chart([0.0] * 36))


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        bar_chart(["a"], [float("nan")], title="t", unit="u")
    with pytest.raises(ValueError):
        bar_chart(["a", "b"], [1.0], title="t", unit="u")


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(3608.6, [0, 1000, 2000, 3000, 4000]), (1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]), (0, [0, 1])],
)
def test_nice_ticks(top, ticks):
    assert nice_ticks(top) == pytest.approx(ticks)


def test_a_cost_chart_with_nothing_billed_says_so_instead_of_drawing_an_empty_frame():
    root = parse(cost_chart([0.0] * 36, 12))
    assert root.findall(f"{NS}rect") == []
    text = "".join(t.text or "" for t in root.iter(f"{NS}text"))
    assert "12 months: none" in text and "Nothing is billed in a public cloud" in text


def test_quotes_are_escaped_inside_attributes_in_every_kind_of_chart():
    from planner.charts import Bar, capacity_bars, empty_chart, stacked_bars, stacked_columns

    name = 'Ops "blue" & <b>'
    svgs = [
        bar_chart(["a"], [1.0], title=name, unit="GiB"),
        empty_chart(name),
        capacity_bars([Bar(name, 1.0, 2.0, href='/x?a="1"')], title=name, unit="GiB"),
        stacked_bars([(name, [])], [], title=name),
        stacked_columns(["m1"], [(name, [1.0])], title=name, unit="USD"),
    ]
    for svg in svgs:
        root = parse(svg)
        assert root.get("aria-label") == name
        assert '"blue"' not in svg and "&quot;blue&quot;" in svg


def test_the_portal_and_the_pdf_draw_the_same_storage_chart():
    from planner.reports import render

    points = [["full 1", 100.0], ["inc 1", 110.0]]
    assert render.storage_chart is storage_chart
    title = parse(storage_chart(points)).find(f"{NS}title").text
    assert title == "Backup storage by restore point (GiB, cumulative)"
