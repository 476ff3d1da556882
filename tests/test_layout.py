"""The README's layout table names every module of the package, and nothing that is gone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers import ROOT

PACKAGE = ROOT / "galamedia"


def layout_rows() -> dict[str, str]:
    """First column → the rest of the row, for the table under `## Layout`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if match := re.match(r"^\| `([^`]+)` \|(.*)\|$", line):
            rows[match[1]] = match[2]
    return rows


def modules() -> list[Path]:
    return sorted(
        path.relative_to(ROOT)
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    )


def is_named(module: Path, rows: dict[str, str]) -> bool:
    """Named in its own row, or in the row of its folder (`galamedia/rules/` … `urls.py`)."""
    folder_row = rows.get(f"{module.parent}/", "")
    return str(module) in rows or f"`{module.name}`" in folder_row


def test_every_module_is_in_the_layout_table() -> None:
    rows = layout_rows()
    assert [str(module) for module in modules() if not is_named(module, rows)] == []


def test_every_path_in_the_layout_table_exists() -> None:
    assert [path for path in layout_rows() if not (ROOT / path).exists()] == []


def test_every_subpackage_says_what_it_owns() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"
        assert "\n" not in docstring.strip(), f"{init.relative_to(ROOT)}: one line"
