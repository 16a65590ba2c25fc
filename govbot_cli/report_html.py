"""``govbot report --format html``: one self-contained page for a security lead.

A summary block first (open findings by severity as coloured bars, images shared outside the
organisation, exemptions expiring soon), then charts (shares and violations for every region
in scope, violations by rule, exposure time p50/p95 by rule), then every table. No external
resource (inline CSS, inline SVG), so it opens offline and attaches to a ticket as one file.
"""

from __future__ import annotations

import html
from typing import Any

from govbot_cli.report_render import sections, summary_lines
from govbot_cli.report_render import title as report_title

# Colours, also asserted on by the screenshot test (tests/integration/cli).
SHARES_COLOUR = "#1f77b4"
VIOLATIONS_COLOUR = "#d62728"
P50_COLOUR = "#9467bd"
P95_COLOUR = "#8c564b"
SEVERITY_COLOURS = {
    "critical": "#6a1b9a",
    "high": "#e4572e",
    "medium": "#f4a300",
    "low": "#2a9d8f",
    "info": "#8d99ae",
}


def _bars_svg(title: str, groups: list[tuple[str, list[tuple[str, float, str]]]]) -> str:
    """A grouped bar chart: each group is a label and its (series, value, colour) bars."""
    bar, gap, height, top, left = 28, 24, 180, 30, 40
    peak = max([v for _, bars in groups for _, v, _ in bars] + [1])
    # A group is as wide as its bars or its label (about 7 px a character), whichever is wider.
    widths = [max(len(bars) * bar, 7 * len(label)) for label, bars in groups]
    width = max(left + sum(w + gap for w in widths) + gap, 8 * len(title) + 20)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height + top + 50}" aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{top + height}" x2="{width}" y2="{top + height}" stroke="#999"/>',
        f'<text x="4" y="{top + 10}" font-size="11">{peak:.3g}</text>',
    ]
    x = left + gap
    for (label, bars), group_width in zip(groups, widths, strict=True):
        bar_x = x + (group_width - len(bars) * bar) / 2
        for series, value, colour in bars:
            h = round(height * value / peak)
            parts.append(
                f'<rect class="bar" x="{bar_x}" y="{top + height - h}" width="{bar}" '
                f'height="{h}" fill="{colour}">'
                f"<title>{html.escape(f'{label} {series}: {value}')}</title></rect>"
            )
            parts.append(
                f'<text x="{bar_x + bar / 2}" y="{top + height - h - 4}" font-size="11" '
                f'text-anchor="middle">{value:.3g}</text>'
            )
            bar_x += bar
        parts.append(
            f'<text x="{x + group_width / 2}" y="{top + height + 16}" font-size="12" '
            f'text-anchor="middle">{html.escape(label)}</text>'
        )
        x += group_width + gap
    parts.append("</svg>")
    return "".join(parts)


def chart_svgs(report: dict[str, Any]) -> str:
    """The two charts: shares and violations by region, violations by rule."""
    by_region = [
        (
            row["region"],
            [
                ("shares", row["shares"], SHARES_COLOUR),
                ("violations", row["violations"], VIOLATIONS_COLOUR),
            ],
        )
        for row in report["chart"]["by_region"]
    ]
    by_rule = [
        (row["rule_id"], [("violations", row["violations"], VIOLATIONS_COLOUR)])
        for row in report["chart"]["by_rule"]
    ]
    legend = (
        f'<p class="legend"><span style="background:{SHARES_COLOUR}"></span> shares now '
        f'<span style="background:{VIOLATIONS_COLOUR}"></span> violations found since '
        f"{html.escape(report['since'])}</p>"
    )
    exposure = [
        (
            row["rule_id"],
            [("p50", row["p50_seconds"], P50_COLOUR), ("p95", row["p95_seconds"], P95_COLOUR)],
        )
        for row in report["exposure"]["by_rule"]
    ]
    exposure_legend = (
        f'<p class="legend"><span style="background:{P50_COLOUR}"></span> p50 '
        f'<span style="background:{P95_COLOUR}"></span> p95 seconds from the call to '
        "govbot's revoke</p>"
    )
    return (
        legend
        + _bars_svg("Shares and violations by region", by_region)
        + _bars_svg("Violations by rule", by_rule)
        + (exposure_legend + _bars_svg("Exposure time by rule (s)", exposure) if exposure else "")
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}
table{border-collapse:collapse;margin:8px 0 24px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}
th{background:#f3f3f3}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
svg{display:block;margin:8px 0 16px}
#summary{border:2px solid #444;padding:8px 16px;margin-bottom:16px}
.sev{font-size:13px;margin:4px 0}
.sev .label{display:inline-block;width:70px}
.sev .bar{display:inline-block;height:16px;vertical-align:middle}
"""


def _cell(value: Any) -> str:
    return "-" if value in (None, "") else str(value)


def _summary_html(report: dict[str, Any]) -> str:
    """Open findings by severity as coloured bars, then the summary's sentences."""
    counts = report["summary"]["open_findings_by_severity"]
    peak = max([*counts.values(), 1])
    bars = "".join(
        f'<div class="sev"><span class="label">{html.escape(severity)}</span>'
        f'<span class="bar" style="background:{SEVERITY_COLOURS[severity]};'
        f'width:{round(300 * n / peak) if n else 0}px"></span> {n}</div>'
        for severity, n in counts.items()
    )
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(report))
    return f'<section id="summary"><h2>Summary</h2>{bars}<ul>{lines}</ul></section>'


def to_html(report: dict[str, Any]) -> str:
    """A self-contained page: inline CSS, inline SVG charts, every table."""
    body = [
        f"<h1>{html.escape(report_title(report))}</h1>",
        _summary_html(report),
        chart_svgs(report),
    ]
    for heading, headers, rows in sections(report):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if not rows:
            body.append("<p>(none)</p>")
            continue
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>"
            for row in rows
        )
        body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(report_title(report))}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
