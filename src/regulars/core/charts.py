"""The one way the app draws charts: accessible SVG rendered on the server.

``bar_chart`` and ``line_chart`` return safe markup for a template to place inside an
element with the ``chart`` class. Each chart is a ``<figure>`` holding an ``<svg
role="img">`` whose ``<title>`` and ``<desc>`` name and summarise the data, plus a
visually hidden ``<table>`` with every value for screen readers. No JavaScript, no
external fonts or files: it renders the same offline, on paper and in a test.

Every colour has at least 4.5:1 contrast against the white plot background. Lines are
also told apart by dash pattern and marker, never by colour alone. All text (title,
labels, series names, unit) is HTML-escaped, so names in any script and hostile input
come out as text.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from regulars.core.money import _babel_locale

Number = int | float | Decimal
ValueFormat = Callable[[float], str]

TEXT = "#1f2933"  # 14.8:1 on white
AXIS = "#52606d"  # 6.5:1 on white
GRID = "#d9e2ec"  # decorative only
BAR = "#1f5f8b"  # 6.8:1 on white
# Line colours, each at least 4.5:1 on white, paired with a dash pattern and a marker.
PALETTE: tuple[str, ...] = ("#0b5cad", "#a63c06", "#1b7340", "#7b3f9e", "#8a5a00", "#4a4a4a")
DASHES: tuple[str, ...] = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
MARKERS: tuple[str, ...] = ("circle", "square", "diamond", "triangle", "circle", "square")

FONT_SIZE = 12
CHAR_WIDTH = 0.62 * FONT_SIZE  # rough average advance of a glyph, for layout only
MAX_VALUE_LABELS = 16  # print values above bars up to this many bars


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plot area inside the SVG and the value range it maps onto."""

    left: float
    top: float
    width: float
    height: float
    lo: float
    hi: float

    def y(self, value: float) -> float:
        return self.top + self.height * (self.hi - value) / (self.hi - self.lo)

    @property
    def bottom(self) -> float:
        return self.top + self.height


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    unit: str = "",
    x_label: str = "",
    width: int = 640,
    height: int = 260,
    value_format: ValueFormat | None = None,
    chart_id: str = "",
) -> SafeString:
    """One bar per label. ``values`` may be negative; bars grow from zero.

    ``unit`` names the values ("visits", "€") on the axis, in tooltips and in the
    summary. ``value_format`` turns a value into text (default: locale-aware number).
    Raises ValueError when labels and values differ in length or a value is not finite.
    """
    nums = _as_floats(values)
    if len(labels) != len(nums):
        raise ValueError("bar_chart needs exactly one value per label")
    fmt = value_format or _default_format(nums)
    cid = chart_id or _chart_id("bar", title, labels, [nums])
    if not nums:
        return _empty(cid, title, width, height)

    frame, ticks = _frame(nums, fmt, unit, x_label, width, height, top_extra=0.0)
    band = frame.width / len(nums)
    bar_w = max(1.0, band * 0.7)
    zero_y = frame.y(0.0)
    show_values = len(nums) <= MAX_VALUE_LABELS and band >= CHAR_WIDTH * 3

    parts = [_open_svg(cid, title, _bar_summary(labels, nums, fmt, unit), width, height)]
    parts.append(_y_axis(frame, ticks, fmt, unit))
    parts.append('<g class="bars">')
    for i, (label, value) in enumerate(zip(labels, nums, strict=True)):
        x = frame.left + i * band + (band - bar_w) / 2
        y_top = min(frame.y(value), zero_y)
        bar_h = abs(frame.y(value) - zero_y)
        tip = f"{label}: {_with_unit(fmt(value), unit)}"
        parts.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(y_top)}" width="{_n(bar_w)}" '
            f'height="{_n(bar_h)}" fill="{BAR}" data-value="{_n(value)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if show_values:
            above = value >= 0
            ty = (y_top - 4) if above else (y_top + bar_h + FONT_SIZE + 2)
            parts.append(
                f'<text class="value" x="{_n(x + bar_w / 2)}" y="{_n(ty)}" '
                f'text-anchor="middle" fill="{TEXT}" font-size="{FONT_SIZE - 1}" '
                f'aria-hidden="true">{escape(fmt(value))}</text>'
            )
    parts.append("</g>")
    parts.append(_x_axis(frame, labels, band, x_label))
    parts.append("</svg>")
    parts.append(_table(title, labels, [(unit or _("Value"), nums)], fmt, x_label))
    return _figure(cid, parts)


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number | None]] | Sequence[tuple[str, Sequence[Number | None]]],
    *,
    title: str,
    unit: str = "",
    x_label: str = "",
    width: int = 640,
    height: int = 260,
    value_format: ValueFormat | None = None,
    chart_id: str = "",
) -> SafeString:
    """One line per series over the shared ``labels``; ``None`` leaves a gap.

    ``series`` maps a name to one value (or None) per label, as a mapping or as a
    sequence of (name, values) pairs, drawn in that order. Raises ValueError when a
    series has the wrong length or a value is not finite.
    """
    pairs = list(series.items()) if isinstance(series, Mapping) else list(series)
    named: list[tuple[str, list[float | None]]] = []
    for name, vals in pairs:
        floats = [None if v is None else _as_float(v) for v in vals]
        if len(floats) != len(labels):
            raise ValueError(f"series {name!r} needs exactly one value per label")
        named.append((str(name), floats))
    present = [v for _name, vals in named for v in vals if v is not None]
    fmt = value_format or _default_format(present)
    cid = chart_id or _chart_id("line", title, labels, [vals for _n2, vals in named])
    if not labels or not present:
        return _empty(cid, title, width, height)

    legend_rows = _legend_rows([name for name, _v in named], width)
    legend_h = len(legend_rows) * (FONT_SIZE + 8) if len(named) > 1 else 0.0
    frame, ticks = _frame(present, fmt, unit, x_label, width, height, top_extra=legend_h)
    band = frame.width / len(labels)

    summary = _line_summary(labels, named, fmt, unit)
    parts = [_open_svg(cid, title, summary, width, height)]
    if legend_h:
        parts.append(_legend(legend_rows))
    parts.append(_y_axis(frame, ticks, fmt, unit))
    for index, (name, vals) in enumerate(named):
        colour = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        marker = MARKERS[index % len(MARKERS)]
        points = [
            (frame.left + band * (i + 0.5), frame.y(v), labels[i], v)
            for i, v in enumerate(vals)
            if v is not None
        ]
        path = _path(
            [
                None if v is None else (frame.left + band * (i + 0.5), frame.y(v))
                for i, v in enumerate(vals)
            ]
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="series" data-series="{escape(name)}">')
        if path:
            parts.append(
                f'<path class="line" d="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
            )
        for x, y, label, v in points:
            tip = f"{name} — {label}: {_with_unit(fmt(v), unit)}"
            parts.append(_marker(marker, x, y, colour, tip, v))
        parts.append("</g>")
    parts.append(_x_axis(frame, labels, band, x_label))
    parts.append("</svg>")
    parts.append(_table(title, labels, named, fmt, x_label))
    return _figure(cid, parts)


# --- layout ---------------------------------------------------------------------------


def _frame(
    values: Sequence[float],
    fmt: ValueFormat,
    unit: str,
    x_label: str,
    width: int,
    height: int,
    *,
    top_extra: float,
) -> tuple[_Frame, list[float]]:
    lo, hi = min(0.0, *values), max(0.0, *values)
    integral = all(float(v).is_integer() for v in values)
    ticks = nice_ticks(lo, hi, integral=integral)
    tick_w = max(len(fmt(t)) for t in ticks) * CHAR_WIDTH
    left = 12 + tick_w + (FONT_SIZE + 8 if unit else 0)
    bottom = FONT_SIZE + 14 + (FONT_SIZE + 8 if x_label else 0)
    top = 14 + top_extra
    right = 12.0
    frame = _Frame(
        left=left,
        top=top,
        width=max(10.0, width - left - right),
        height=max(10.0, height - top - bottom),
        lo=ticks[0],
        hi=ticks[-1],
    )
    return frame, ticks


def nice_ticks(lo: float, hi: float, *, count: int = 5, integral: bool = False) -> list[float]:
    """Round axis ticks covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten.

    An empty range (lo == hi) becomes [lo, lo + 1]; ``integral`` keeps steps whole,
    for counts. Always returns at least two ticks, ascending.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("axis bounds must be finite")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1
    span = hi - lo
    magnitude = 10 ** math.floor(math.log10(span / count))
    step = magnitude * 10
    for multiple in (1, 2, 2.5, 5, 10):
        candidate = multiple * magnitude
        if span / candidate <= count:
            step = candidate
            break
    if integral:
        step = max(1.0, math.ceil(step))
    start = math.floor(lo / step) * step
    end = math.ceil(hi / step) * step
    n = round((end - start) / step)
    return [_clean(start + i * step) for i in range(n + 1)]


def _clean(value: float) -> float:
    """Remove binary noise such as 0.30000000000000004 from a tick."""
    return float(f"{value:.12g}")


LABEL_CHARS = 12  # longer x labels are shortened with an ellipsis (in full in the table)


def _label_stride(labels: Sequence[str], band: float) -> int:
    """Print every n-th x label so neighbours do not overlap."""
    longest = min(LABEL_CHARS, max((len(label) for label in labels), default=1))
    return max(1, math.ceil((longest * CHAR_WIDTH + 6) / band)) if band > 0 else 1


def _shorten(label: str, room: float) -> str:
    """The label cut to fit ``room`` pixels, ending in an ellipsis when cut."""
    fits = max(1, min(LABEL_CHARS, int((room - 6) / CHAR_WIDTH)))
    return label if len(label) <= fits else label[: max(1, fits - 1)] + "…"


def _legend_rows(names: Sequence[str], width: int) -> list[list[tuple[int, str, float]]]:
    rows: list[list[tuple[int, str, float]]] = [[]]
    x = 12.0
    for index, name in enumerate(names):
        item_w = 30 + len(name) * CHAR_WIDTH + 16
        if rows[-1] and x + item_w > width - 12:
            rows.append([])
            x = 12.0
        rows[-1].append((index, name, x))
        x += item_w
    return rows


# --- pieces of markup -----------------------------------------------------------------


def _open_svg(cid: str, title: str, summary: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-size="{FONT_SIZE}" '
        f'style="max-width:{width}px;height:auto">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(summary)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
    )


def _y_axis(frame: _Frame, ticks: Sequence[float], fmt: ValueFormat, unit: str) -> str:
    out = ['<g class="y-axis" aria-hidden="true">']
    for tick in ticks:
        y = frame.y(tick)
        colour = AXIS if tick == 0 else GRID
        out.append(
            f'<line x1="{_n(frame.left)}" y1="{_n(y)}" x2="{_n(frame.left + frame.width)}" '
            f'y2="{_n(y)}" stroke="{colour}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_n(frame.left - 6)}" y="{_n(y + FONT_SIZE / 3)}" text-anchor="end" '
            f'fill="{TEXT}">{escape(fmt(tick))}</text>'
        )
    if unit:
        cx, cy = FONT_SIZE, frame.top + frame.height / 2
        out.append(
            f'<text class="axis-title" x="{_n(cx)}" y="{_n(cy)}" text-anchor="middle" '
            f'fill="{TEXT}" transform="rotate(-90 {_n(cx)} {_n(cy)})">{escape(unit)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _x_axis(frame: _Frame, labels: Sequence[str], band: float, x_label: str) -> str:
    stride = _label_stride(labels, band)
    axis_line = (
        f'<line x1="{_n(frame.left)}" y1="{_n(frame.bottom)}" '
        f'x2="{_n(frame.left + frame.width)}" y2="{_n(frame.bottom)}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    out = ['<g class="x-axis" aria-hidden="true">', axis_line]
    last = len(labels) - 1
    room = band * stride
    for i, label in enumerate(labels):
        # Keep the last label when thinning: the most recent period matters most.
        if (last - i) % stride:
            continue
        x = frame.left + band * (i + 0.5)
        out.append(
            f'<text class="x-label" x="{_n(x)}" y="{_n(frame.bottom + FONT_SIZE + 6)}" '
            f'text-anchor="middle" fill="{TEXT}">{escape(_shorten(label, room))}</text>'
        )
    if x_label:
        out.append(
            f'<text class="axis-title" x="{_n(frame.left + frame.width / 2)}" '
            f'y="{_n(frame.bottom + 2 * FONT_SIZE + 16)}" text-anchor="middle" '
            f'fill="{TEXT}">{escape(x_label)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _legend(rows: Sequence[Sequence[tuple[int, str, float]]]) -> str:
    out = ['<g class="legend" aria-hidden="true">']
    for row_index, row in enumerate(rows):
        y = 14 + row_index * (FONT_SIZE + 8)
        for index, name, x in row:
            colour = PALETTE[index % len(PALETTE)]
            dash = DASHES[index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + 24)}" y2="{_n(y - 4)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
                f'<text x="{_n(x + 30)}" y="{_n(y)}" fill="{TEXT}">{escape(name)}</text>'
            )
    out.append("</g>")
    return "".join(out)


def _marker(kind: str, x: float, y: float, colour: str, tip: str, value: float) -> str:
    r = 4.0
    attrs = f'class="point" fill="{colour}" data-value="{_n(value)}"'
    tip_el = f"<title>{escape(tip)}</title>"
    if kind == "square":
        return (
            f'<rect {attrs} x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" '
            f'height="{_n(2 * r)}">{tip_el}</rect>'
        )
    if kind == "diamond":
        pts = f"{_n(x)},{_n(y - r - 1)} {_n(x + r + 1)},{_n(y)} {_n(x)},{_n(y + r + 1)} {_n(x - r - 1)},{_n(y)}"
        return f'<polygon {attrs} points="{pts}">{tip_el}</polygon>'
    if kind == "triangle":
        pts = f"{_n(x)},{_n(y - r - 1)} {_n(x + r + 1)},{_n(y + r)} {_n(x - r - 1)},{_n(y + r)}"
        return f'<polygon {attrs} points="{pts}">{tip_el}</polygon>'
    return f'<circle {attrs} cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}">{tip_el}</circle>'


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points; None breaks the line. Lone points get no path."""
    segments: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(point)
    out = []
    for segment in segments:
        if len(segment) < 2:
            continue
        head, *rest = segment
        out.append(f"M{_n(head[0])} {_n(head[1])}")
        out.extend(f"L{_n(x)} {_n(y)}" for x, y in rest)
    return " ".join(out)


def _table(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    fmt: ValueFormat,
    x_label: str,
) -> str:
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name, _v in series)
    # Outside the f-string so that makemessages sees it; its own context because the
    # phone form uses "Label" for a phone's kind.
    x_head = x_label or pgettext("chart table", "Label")
    rows = []
    for i, label in enumerate(labels):
        cells = "".join(f"<td>{_cell(vals[i], fmt)}</td>" for _name, vals in series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    return (
        f'<table class="visually-hidden"><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(x_head)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(value: float | None, fmt: ValueFormat) -> str:
    return "–" if value is None else escape(fmt(value))


def _empty(cid: str, title: str, width: int, height: int) -> SafeString:
    message = _("No data to show yet.")
    svg = (
        _open_svg(cid, title, message, width, height)
        + f'<text class="empty" x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" '
        f'fill="{AXIS}" font-size="{FONT_SIZE + 2}">{escape(message)}</text></svg>'
    )
    return _figure(cid, [svg])


def _figure(cid: str, parts: Sequence[str]) -> SafeString:
    # Every piece above escapes its text; this is the one place markup becomes safe.
    return mark_safe(f'<figure class="chart-figure" id="{cid}">{"".join(parts)}</figure>')  # noqa: S308


# --- text ----------------------------------------------------------------------------


def _bar_summary(
    labels: Sequence[str], values: Sequence[float], fmt: ValueFormat, unit: str
) -> str:
    hi = max(range(len(values)), key=values.__getitem__)
    lo = min(range(len(values)), key=values.__getitem__)
    return _(
        "%(count)s values from %(first)s to %(last)s. Highest: %(max_label)s, %(max)s. "
        "Lowest: %(min_label)s, %(min)s."
    ) % {
        "count": len(values),
        "first": labels[0],
        "last": labels[-1],
        "max_label": labels[hi],
        "max": _with_unit(fmt(values[hi]), unit),
        "min_label": labels[lo],
        "min": _with_unit(fmt(values[lo]), unit),
    }


def _line_summary(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    fmt: ValueFormat,
    unit: str,
) -> str:
    sentences = [
        _("%(count)s points from %(first)s to %(last)s.")
        % {"count": len(labels), "first": labels[0], "last": labels[-1]}
    ]
    for name, vals in series:
        known = [(i, v) for i, v in enumerate(vals) if v is not None]
        if not known:
            sentences.append(_("%(name)s: no data.") % {"name": name})
            continue
        hi_i, hi_v = max(known, key=lambda iv: iv[1])
        lo_i, lo_v = min(known, key=lambda iv: iv[1])
        sentences.append(
            _(
                "%(name)s: first %(first)s, last %(last)s, highest %(max)s at %(max_label)s, "
                "lowest %(min)s at %(min_label)s."
            )
            % {
                "name": name,
                "first": _with_unit(fmt(known[0][1]), unit),
                "last": _with_unit(fmt(known[-1][1]), unit),
                "max": _with_unit(fmt(hi_v), unit),
                "max_label": labels[hi_i],
                "min": _with_unit(fmt(lo_v), unit),
                "min_label": labels[lo_i],
            }
        )
    return " ".join(sentences)


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def _default_format(values: Sequence[float]) -> ValueFormat:
    """Whole numbers when every value is whole, otherwise up to two decimals."""
    locale = _babel_locale(translation.get_language() or "en")
    pattern = "#,##0" if all(float(v).is_integer() for v in values) else "#,##0.##"

    def fmt(value: float) -> str:
        return str(format_decimal(value, format=pattern, locale=locale))

    return fmt


def _as_float(value: Number) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"chart values must be finite numbers, not {value!r}")
    return number


def _as_floats(values: Sequence[Number]) -> list[float]:
    return [_as_float(v) for v in values]


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _chart_id(
    kind: str, title: str, labels: Sequence[str], data: Sequence[Sequence[float | None]]
) -> str:
    """A stable id for aria references, the same for the same chart on every render."""
    digest = hashlib.blake2s(digest_size=5)
    digest.update(repr((kind, title, list(labels), [list(d) for d in data])).encode())
    return f"chart-{digest.hexdigest()}"


IntervalSeries = tuple[
    str, Sequence[Number | None], Sequence[Number | None], Sequence[Number | None]
]


def interval_chart(
    labels: Sequence[str],
    series: Sequence[IntervalSeries],
    *,
    title: str,
    unit: str = "",
    x_label: str = "",
    joined: bool = True,
    width: int = 640,
    height: int = 260,
    value_format: ValueFormat | None = None,
    chart_id: str = "",
) -> SafeString:
    """Estimates with their confidence intervals, one series per (name, values, lows,
    highs) over the shared ``labels``; ``None`` leaves a gap (a value without bounds is
    drawn without its interval).

    ``joined``: a line through the values over a shaded band from low to high (a trend
    over time); otherwise a marker with an interval bar per label (categories). The
    hidden table lists each value with its bounds. Raises ValueError when a sequence
    has the wrong length or a value is not finite.
    """
    named: list[tuple[str, list[float | None], list[float | None], list[float | None]]] = []
    for name, vals, lows, highs in series:
        columns = [
            [None if v is None else _as_float(v) for v in seq] for seq in (vals, lows, highs)
        ]
        if any(len(column) != len(labels) for column in columns):
            raise ValueError(f"series {name!r} needs exactly one value and bounds per label")
        named.append((str(name), columns[0], columns[1], columns[2]))
    present = [v for _n1, *cols in named for col in cols for v in col if v is not None]
    fmt = value_format or _default_format(present)
    cid = chart_id or _chart_id(
        "interval", title, labels, [col for _n2, *cols in named for col in cols]
    )
    if not labels or not any(v is not None for _n3, vals, _l, _h in named for v in vals):
        return _empty(cid, title, width, height)

    legend_rows = _legend_rows([name for name, *_rest in named], width)
    legend_h = len(legend_rows) * (FONT_SIZE + 8) if len(named) > 1 else 0.0
    frame, ticks = _frame(present, fmt, unit, x_label, width, height, top_extra=legend_h)
    band = frame.width / len(labels)
    summary = _line_summary(labels, [(name, vals) for name, vals, _l, _h in named], fmt, unit)
    parts = [_open_svg(cid, title, summary, width, height)]
    if legend_h:
        parts.append(_legend(legend_rows))
    parts.append(_y_axis(frame, ticks, fmt, unit))
    spread = band * 0.12 if len(named) > 1 and not joined else 0.0
    for index, (name, vals, lows, highs) in enumerate(named):
        colour = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        marker = MARKERS[index % len(MARKERS)]
        shift = (index - (len(named) - 1) / 2) * spread

        def x_of(i: int, shift: float = shift) -> float:
            return frame.left + band * (i + 0.5) + shift

        parts.append(f'<g class="series" data-series="{escape(name)}">')
        bounded = [
            None if lo is None or hi is None else (i, lo, hi)
            for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))
        ]
        if joined:
            for run in _runs(bounded):
                upper = " ".join(f"{_n(x_of(i))},{_n(frame.y(hi))}" for i, _lo, hi in run)
                lower = " ".join(f"{_n(x_of(i))},{_n(frame.y(lo))}" for i, lo, _hi in reversed(run))
                parts.append(
                    f'<polygon class="band" points="{upper} {lower}" fill="{colour}" '
                    f'fill-opacity="0.15" stroke="none" aria-hidden="true"/>'
                )
            path = _path([None if v is None else (x_of(i), frame.y(v)) for i, v in enumerate(vals)])
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            if path:
                parts.append(
                    f'<path class="line" d="{path}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"{dash_attr}/>'
                )
        else:
            for item in bounded:
                if item is None:
                    continue
                i, lo, hi = item
                x, cap = x_of(i), min(8.0, band * 0.15)
                parts.append(
                    f'<path class="whisker" d="M{_n(x)} {_n(frame.y(lo))} L{_n(x)} '
                    f"{_n(frame.y(hi))} M{_n(x - cap)} {_n(frame.y(lo))} L{_n(x + cap)} "
                    f"{_n(frame.y(lo))} M{_n(x - cap)} {_n(frame.y(hi))} L{_n(x + cap)} "
                    f'{_n(frame.y(hi))}" stroke="{colour}" stroke-width="2" fill="none" '
                    f'aria-hidden="true"/>'
                )
        for i, v in enumerate(vals):
            if v is None:
                continue
            tip = f"{name} — {labels[i]}: {_with_unit(fmt(v), unit)}"
            if lows[i] is not None and highs[i] is not None:
                tip += f" ({_interval_text(fmt, lows[i], highs[i])})"
            parts.append(_marker(marker, x_of(i), frame.y(v), colour, tip, v))
        parts.append("</g>")
    parts.append(_x_axis(frame, labels, band, x_label))
    parts.append("</svg>")
    table: list[tuple[str, Sequence[float | None]]] = []
    for name, vals, lows, highs in named:
        table += [
            (name, vals),
            (_("%(name)s: 95%% interval from") % {"name": name}, lows),
            (pgettext("interval", "to"), highs),
        ]
    parts.append(_table(title, labels, table, fmt, x_label))
    return _figure(cid, parts)


def _runs(
    items: Sequence[tuple[int, float, float] | None],
) -> list[list[tuple[int, float, float]]]:
    """Consecutive non-None items (a band is broken where an interval is missing)."""
    runs: list[list[tuple[int, float, float]]] = [[]]
    for item in items:
        if item is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(item)
    return [run for run in runs if run]


def _interval_text(fmt: ValueFormat, low: float | None, high: float | None) -> str:
    return _("95%% interval %(low)s to %(high)s") % {
        "low": fmt(low or 0.0),
        "high": fmt(high or 0.0),
    }
