"""Server-side SVG charts: geometry follows the data, text is escaped, nothing divides by zero."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from regulars.core.charts import PALETTE, bar_chart, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart markup as an XML tree with SVG namespaces stripped from tag names."""
    root = ET.fromstring(str(markup))  # noqa: S314 - our own output, not untrusted input
    for element in root.iter():
        element.tag = element.tag.removeprefix(SVG)
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter("rect") if el.get("class") == "bar"]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_the_tallest_bar_belongs_to_the_greatest_value() -> None:
    values = [3, 11, 7, 0, 5]
    root = parse(bar_chart(list("abcde"), values, title="Visits"))
    heights = [float(el.get("height", "nan")) for el in bars(root)]
    assert len(heights) == 5
    assert heights.index(max(heights)) == values.index(max(values))
    assert heights[3] == 0


def test_bar_heights_are_proportional_to_the_values() -> None:
    root = parse(bar_chart(["a", "b", "c"], [2, 4, 8], title="Visits"))
    a, b, c = (float(el.get("height", "nan")) for el in bars(root))
    assert b == pytest.approx(2 * a, abs=0.02)
    assert c == pytest.approx(4 * a, abs=0.02)


def test_bars_stand_on_the_same_baseline() -> None:
    root = parse(bar_chart(["a", "b", "c"], [1, 6, 3], title="Visits"))
    bottoms = {
        round(float(el.get("y", "nan")) + float(el.get("height", "nan")), 1) for el in bars(root)
    }
    assert len(bottoms) == 1


def test_negative_values_hang_below_the_zero_line() -> None:
    root = parse(bar_chart(["up", "down"], [4, -2], title="Change"))
    up, down = bars(root)
    up_bottom = float(up.get("y", "nan")) + float(up.get("height", "nan"))
    assert float(down.get("y", "nan")) == pytest.approx(up_bottom, abs=0.02)
    assert float(down.get("height", "nan")) == pytest.approx(
        float(up.get("height", "nan")) / 2, abs=0.02
    )


def test_each_bar_carries_its_label_and_value_as_a_tooltip() -> None:
    root = parse(bar_chart(["Mon", "Tue"], [3, 12], title="Visits", unit="visits"))
    tips = [text_of(el.find("title")) for el in bars(root)]  # type: ignore[arg-type]
    assert tips == ["Mon: 3 visits", "Tue: 12 visits"]


def test_a_custom_value_format_is_used_in_tooltips_and_the_table() -> None:
    root = parse(
        bar_chart(
            ["Mon"],
            [Decimal("12.5")],
            title="Takings",
            value_format=lambda v: f"EUR {v:.2f}",
        )
    )
    assert text_of(bars(root)[0].find("title")) == "Mon: EUR 12.50"  # type: ignore[arg-type]
    cells = [text_of(td) for td in root.iter("td")]
    assert cells == ["EUR 12.50"]


def test_labels_are_escaped_not_executed() -> None:
    hostile = '<script>alert("x")</script>'
    markup = bar_chart([hostile, "ok"], [1, 2], title="<b>Visits</b>", unit="<i>")
    assert "<script>" not in markup
    assert "<b>" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)
    assert text_of(bars(root)[0].find("title")) == f"{hostile}: 1 <i>"  # type: ignore[arg-type]
    assert text_of(root.find(".//svg/title")) == "<b>Visits</b>"  # type: ignore[arg-type]


def test_names_in_any_script_come_through_intact() -> None:
    names = ["Дмитрий", "山田 太郎", "Σωκράτης", "Søren Ærø", "محمد"]
    root = parse(bar_chart(names, [1, 2, 3, 4, 5], title="Regulars"))
    row_headers = [text_of(th) for th in root.iter("th") if th.get("scope") == "row"]
    assert row_headers == names


def test_empty_data_renders_a_no_data_message_and_no_bars() -> None:
    with translation.override("en"):
        root = parse(bar_chart([], [], title="Visits"))
    assert bars(root) == []
    messages = [text_of(el) for el in root.iter("text") if el.get("class") == "empty"]
    assert messages == ["No data to show yet."]
    assert text_of(root.find(".//svg/desc")) == "No data to show yet."  # type: ignore[arg-type]


def test_all_zero_data_draws_flat_bars_on_a_unit_axis() -> None:
    root = parse(bar_chart(["a", "b", "c"], [0, 0, 0], title="Visits"))
    heights = [float(el.get("height", "nan")) for el in bars(root)]
    assert heights == [0.0, 0.0, 0.0]
    y_axis = next(el for el in root.iter("g") if el.get("class") == "y-axis")
    assert [text_of(el) for el in y_axis.iter("text")] == ["0", "1"]


def test_mismatched_labels_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per label"):
        bar_chart(["a", "b"], [1], title="Visits")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_values_that_are_not_finite_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        bar_chart(["a"], [bad], title="Visits")


def test_the_svg_is_an_image_named_by_its_title_and_described_by_a_summary() -> None:
    with translation.override("en"):
        root = parse(bar_chart(["Mon", "Tue", "Wed"], [4, 9, 1], title="Visits", unit="visits"))
    svg = root.find("svg")
    assert svg is not None
    assert svg.get("role") == "img"
    ids = (svg.get("aria-labelledby") or "").split()
    by_id = {el.get("id"): el for el in svg.iter() if el.get("id")}
    assert [by_id[i].tag for i in ids] == ["title", "desc"]
    summary = text_of(by_id[ids[1]])
    assert "Highest: Tue, 9 visits" in summary
    assert "Lowest: Wed, 1 visits" in summary


def test_a_hidden_table_lists_every_value_for_screen_readers() -> None:
    root = parse(bar_chart(["Mon", "Tue"], [4, 9], title="Visits"))
    table = root.find("table")
    assert table is not None
    assert table.get("class") == "visually-hidden"
    assert text_of(table.find("caption")) == "Visits"  # type: ignore[arg-type]
    rows = [[text_of(cell) for cell in tr] for tr in table.iter("tr")][1:]
    assert rows == [["Mon", "4"], ["Tue", "9"]]


def test_two_different_charts_get_different_ids_and_the_same_chart_the_same_one() -> None:
    first = parse(bar_chart(["a"], [1], title="One")).get("id")
    again = parse(bar_chart(["a"], [1], title="One")).get("id")
    other = parse(bar_chart(["a"], [2], title="One")).get("id")
    assert first == again
    assert first != other


def test_many_bars_thin_out_their_axis_labels_but_keep_the_latest() -> None:
    labels = [f"day {i:02d}" for i in range(60)]
    root = parse(bar_chart(labels, list(range(60)), title="Visits", width=400))
    shown = [text_of(el) for el in root.iter("text") if el.get("class") == "x-label"]
    assert 1 < len(shown) < 60
    assert shown[-1] == "day 59"
    assert len(bars(root)) == 60


def test_every_series_colour_has_aa_contrast_on_white() -> None:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in PALETTE:
        ratio = (1.0 + 0.05) / (luminance(colour) + 0.05)
        assert ratio >= 4.5, colour


def test_a_line_chart_draws_a_line_and_a_point_per_value_for_each_series() -> None:
    root = parse(
        line_chart(
            ["w1", "w2", "w3"],
            {"NPS": [10, 20, 30], "CSAT": [80, 70, 90]},
            title="Scores",
        )
    )
    series = [el for el in root.iter("g") if el.get("class") == "series"]
    assert [el.get("data-series") for el in series] == ["NPS", "CSAT"]
    for group in series:
        assert len([el for el in group.iter("path") if el.get("class") == "line"]) == 1
        assert len([el for el in group.iter() if el.get("class") == "point"]) == 3


def test_a_higher_value_sits_higher_on_the_line() -> None:
    root = parse(line_chart(["a", "b"], {"s": [1, 5]}, title="Scores"))
    low, high = (el for el in root.iter() if el.get("class") == "point")
    assert float(high.get("cy", "nan")) < float(low.get("cy", "nan"))


def test_a_missing_value_breaks_the_line_instead_of_dropping_to_zero() -> None:
    root = parse(line_chart(["a", "b", "c", "d", "e"], {"s": [1, 2, None, 4, 5]}, title="S"))
    path = next(el for el in root.iter("path") if el.get("class") == "line")
    assert (path.get("d") or "").count("M") == 2
    points = [el for el in root.iter() if el.get("class") == "point"]
    assert len(points) == 4
    cells = [text_of(td) for td in root.iter("td")]
    assert cells == ["1", "2", "–", "4", "5"]


def test_series_given_as_pairs_draw_the_same_chart_as_a_mapping() -> None:
    as_pairs = line_chart(["a", "b"], [("x", [1, 2]), ("y", [3, 4])], title="S")
    as_mapping = line_chart(["a", "b"], {"x": [1, 2], "y": [3, 4]}, title="S")
    assert str(as_pairs) == str(as_mapping)


def test_a_line_chart_with_only_missing_values_says_there_is_no_data() -> None:
    with translation.override("en"):
        root = parse(line_chart(["a", "b"], {"s": [None, None]}, title="S"))
    assert [text_of(el) for el in root.iter("text")] == ["No data to show yet."]


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per label"):
        line_chart(["a", "b"], {"s": [1]}, title="S")


def test_series_names_are_escaped() -> None:
    markup = line_chart(["a"], {"<img src=x onerror=alert(1)>": [1]}, title="S")
    assert "<img" not in markup
    assert "&lt;img" in markup


@pytest.mark.parametrize(
    ("lo", "hi", "integral", "expected"),
    [
        (0, 0, True, [0, 1]),
        (4, 4, True, [4, 5]),
        (0, 7, True, [0, 2, 4, 6, 8]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 1, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (-5, 20, False, [-5, 0, 5, 10, 15, 20]),
        (0, 1234, False, [0, 250, 500, 750, 1000, 1250]),
    ],
)
def test_axis_ticks_are_round_and_cover_the_data(
    lo: float, hi: float, integral: bool, expected: list[float]
) -> None:
    assert nice_ticks(lo, hi, integral=integral) == expected


def test_long_tick_labels_widen_the_left_margin_instead_of_spilling_out() -> None:
    def euros(value: float) -> str:
        return f"EUR {value:,.2f}"

    root = parse(bar_chart(["a"], [12000], title="Takings", value_format=euros))
    y_axis = next(el for el in root.iter("g") if el.get("class") == "y-axis")
    first_tick = next(y_axis.iter("text"))
    right_edge = float(first_tick.get("x", "nan"))
    longest = max(len("".join(el.itertext())) for el in y_axis.iter("text"))
    # Right-aligned text needs roughly 0.6 em per character to the left of its anchor.
    assert right_edge - longest * 0.6 * 12 >= 0
