"""Small HTML tables for notebook output (no pandas needed)."""

import html

from IPython.display import HTML


def html_table(rows, headers, number_format="{:.4f}"):
    """An HTML table: rows is a list of sequences; numbers are formatted with ``number_format``."""
    def cell(value):
        text = number_format.format(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else str(value)
        return f"<td>{html.escape(text)}</td>"

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return HTML(f"<table class='nnx-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
