"""``govbot report`` renderers: Markdown, CSV, a self-contained HTML page, JSON.

The HTML page has no external resource (inline CSS, inline SVG chart) so it opens offline
and can be attached to a ticket as one file.
"""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

# Chart colours, also asserted on by the screenshot test (tests/integration/cli).
SHARES_COLOUR = "#1f77b4"
VIOLATIONS_COLOUR = "#d62728"


def _shares_text(image: dict[str, Any]) -> str:
    return "; ".join(f"{s['account_id']}:{s['permissions']} ({s['how']})" for s in image["shares"])


def _sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, headers, rows) of every table, shared by md, csv and html."""
    return [
        (
            "Images in scope",
            ["image", "account", "region", "state", "shared with (how)", "violations"],
            [
                [
                    i["name"],
                    i["account_id"],
                    i["region"],
                    i["state"],
                    _shares_text(i) or "nobody",
                    i["violations"],
                ]
                for i in report["images"]
            ],
        ),
        (
            "Open violations",
            ["image", "rule", "account", "permission", "mode", "severity", "reason"],
            [
                [
                    v["image_arn"],
                    v["rule_id"],
                    v["account_id"],
                    v["permission"],
                    v["mode"],
                    v["severity"],
                    v["reason"],
                ]
                for v in report["open_violations"]
            ],
        ),
        (
            "Exemptions",
            ["id", "source", "account", "permission", "target", "expires", "status", "approver"],
            [
                [
                    e["id"],
                    e["source"],
                    e["account_id"],
                    e["permission"],
                    e["target"],
                    e["expires"],
                    "expired"
                    if e["expired"]
                    else ("expires within 14 days" if e["expiring_soon"] else "active"),
                    e["approver"],
                ]
                for e in report["exemptions"]
            ],
        ),
        (
            "Golden coverage by destination region",
            ["rule", "destination", "sources", "copies present", "missing"],
            [
                [
                    g["rule_id"],
                    g["destination_region"],
                    g["sources"],
                    g["copies_present"],
                    ", ".join(g["missing"]) or "-",
                ]
                for g in report["golden_coverage"]
            ],
        ),
        (
            f"Actions since {report['since']}",
            ["time", "event id", "operation", "image", "account", "status"],
            [
                [
                    a["ts"],
                    a["event_id"],
                    a["operation"],
                    a["image_arn"],
                    a["shared_account_id"],
                    a["status"],
                ]
                for a in report["actions"]
            ],
        ),
    ]


def _title(report: dict[str, Any]) -> str:
    return f"govbot report ({report['generated_at']}, policy {report['policy']})"


def to_markdown(report: dict[str, Any]) -> str:
    """GitHub-flavoured Markdown tables."""

    def cell(value: Any) -> str:
        return str("-" if value in (None, "") else value).replace("|", "\\|")

    lines = [f"# {_title(report)}", ""]
    for title, headers, rows in _sections(report):
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def to_csv(report: dict[str, Any]) -> str:
    """One CSV table: a ``section`` column, then each section's own columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for title, headers, rows in _sections(report):
        writer.writerow(["section", *headers])
        for row in rows:
            writer.writerow([title, *("" if c is None else c for c in row)])
    return buffer.getvalue()


def to_json(report: dict[str, Any]) -> str:
    """The report document itself."""
    return json.dumps(report, indent=2, sort_keys=True)


def _bars_svg(title: str, groups: list[tuple[str, list[tuple[str, int, str]]]]) -> str:
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
        f'<text x="4" y="{top + 10}" font-size="11">{peak}</text>',
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
                f'text-anchor="middle">{value}</text>'
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
    return (
        legend
        + _bars_svg("Shares and violations by region", by_region)
        + _bars_svg("Violations by rule", by_rule)
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}
table{border-collapse:collapse;margin:8px 0 24px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}
th{background:#f3f3f3}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
svg{display:block;margin:8px 0 16px}
"""


def to_html(report: dict[str, Any]) -> str:
    """A self-contained page: inline CSS, inline SVG charts, every table."""
    body = [f"<h1>{html.escape(_title(report))}</h1>", chart_svgs(report)]
    for title, headers, rows in _sections(report):
        body.append(f"<h2>{html.escape(title)}</h2>")
        if not rows:
            body.append("<p>(none)</p>")
            continue
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
            for row in rows
        )
        body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(_title(report))}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


RENDERERS = {"md": to_markdown, "csv": to_csv, "html": to_html, "json": to_json}
