"""Table and index definitions parsed from ``sqlite_master`` SQL text.

The parser is a small tokenizer, not a full SQL grammar: it understands every quoting
style SQLite accepts (``"x"``, ``'x'``, ``[x]``, `` `x` ``), nested parentheses, column
and table constraints, ``WITHOUT ROWID`` and the rule that makes a column an alias of the
rowid (declared type exactly ``INTEGER`` with ``PRIMARY KEY``, not ``DESC`` in a column
constraint). This matters for recovery: an alias column is stored as NULL in the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_KEYWORDS_END_TYPE = {
    "CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
    "REFERENCES", "GENERATED", "AS",
}
_TABLE_CONSTRAINTS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


@dataclass(slots=True)
class Column:
    """One stored column of a table or index record."""

    name: str
    decl: str = ""  # everything after the name, as written (e.g. "INT UNSIGNED NOT NULL")
    type: str = ""  # declared type only (e.g. "INT UNSIGNED")
    affinity: str = "BLOB"  # INTEGER, TEXT, BLOB, REAL or NUMERIC


@dataclass(slots=True)
class TableDef:
    """A table (or index) as the recovery engine needs it."""

    name: str
    kind: str  # "table", "index" or "without-rowid"
    root: int
    columns: list[Column]  # output columns in table order
    record_order: list[int] = field(default_factory=list)  # record position -> column index
    alias: int | None = None  # column index of the INTEGER PRIMARY KEY alias
    table: str = ""  # owning table (for indexes)
    unique: bool = False
    sql: str | None = None
    dropped: bool = False
    autoincrement: bool = False
    uniques: list[list[str]] = field(default_factory=list)  # UNIQUE / PRIMARY KEY column lists

    @property
    def ncols(self) -> int:
        """Number of values in a full record of this object."""
        return len(self.record_order)


def affinity(decl_type: str) -> str:
    """Column affinity of a declared type, by SQLite's rules (section 3.1 of datatype3)."""
    t = decl_type.upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/|"(?:[^"]|"")*"|'(?:[^']|'')*'|`(?:[^`]|``)*`|\[[^\]]*\]|[A-Za-z0-9_$\x80-\U0010ffff.+-]+|.""",
    re.S,
)


def _tokens(sql: str) -> list[str]:
    return [t for t in _TOKEN.findall(sql) if t and not t.isspace() and not t.startswith(("--", "/*"))]


def unquote(tok: str) -> str:
    """Remove SQL identifier quoting from a token."""
    if len(tok) >= 2:
        a, b = tok[0], tok[-1]
        if a == b == '"':
            return tok[1:-1].replace('""', '"')
        if a == b == "'":
            return tok[1:-1].replace("''", "'")
        if a == b == "`":
            return tok[1:-1].replace("``", "`")
        if a == "[" and b == "]":
            return tok[1:-1]
    return tok


def _split_top(tokens: list[str]) -> list[list[str]]:
    """Split a token list on commas at parenthesis depth 0."""
    parts: list[list[str]] = [[]]
    depth = 0
    for t in tokens:
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        if t == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]


def _body(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The tokens inside the outer parentheses, and the tokens after them."""
    try:
        start = tokens.index("(")
    except ValueError:
        return [], []
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i] == "(":
            depth += 1
        elif tokens[i] == ")":
            depth -= 1
            if depth == 0:
                return tokens[start + 1 : i], tokens[i + 1 :]
    return tokens[start + 1 :], []


def _raw_decl(sql: str, item: list[str]) -> str:
    """Text of a column definition after its name, with whitespace collapsed."""
    return " ".join(item[1:]).replace(" ( ", "(").replace(" )", ")").replace("( ", "(").replace(" ,", ",")


def _paren_names(tokens: list[str]) -> list[tuple[str, bool]]:
    """Column names (and DESC flags) from a ``( a, b DESC, ... )`` list."""
    inner, _ = _body(tokens)
    out = []
    for part in _split_top(inner):
        if part:
            desc = any(t.upper() == "DESC" for t in part[1:])
            out.append((unquote(part[0]), desc))
    return out


def parse_create_table(name: str, root: int, sql: str) -> TableDef:
    """Parse ``CREATE TABLE`` SQL into a :class:`TableDef` (tolerant of odd names and quoting)."""
    tokens = _tokens(sql)
    inner, after = _body(tokens)
    without_rowid = [t.upper() for t in after[:2]] == ["WITHOUT", "ROWID"]
    columns: list[Column] = []
    col_pk: list[tuple[int, bool]] = []  # (column index, desc) from column constraints
    table_pk: list[tuple[str, bool]] = []
    uniques: list[list[str]] = []
    autoinc = False
    stored: list[int] = []
    for item in _split_top(inner):
        head = item[0].upper()
        if head in _TABLE_CONSTRAINTS:
            upper = [t.upper() for t in item]
            if "AUTOINCREMENT" in upper:
                autoinc = True
            if "PRIMARY" in upper and "KEY" in upper:
                k = upper.index("PRIMARY")
                table_pk = _paren_names(item[k:])
                uniques.append([n for n, _ in table_pk])
            elif "UNIQUE" in upper:
                k = upper.index("UNIQUE")
                uniques.append([n for n, _ in _paren_names(item[k:])])
            continue
        cname = unquote(item[0])
        type_toks: list[str] = []
        i = 1
        depth = 0
        while i < len(item):
            t = item[i]
            if depth == 0 and t.upper() in _KEYWORDS_END_TYPE:
                break
            depth += t == "("
            depth -= t == ")"
            type_toks.append(t)
            i += 1
        ctype = " ".join(type_toks).replace(" ( ", "(").replace(" )", ")").replace("( ", "(")
        upper = [t.upper() for t in item[i:]]
        idx = len(columns)
        columns.append(Column(cname, _raw_decl(sql, item), ctype, affinity(ctype)))
        generated_virtual = ("AS" in upper or "GENERATED" in upper) and "STORED" not in upper
        if not generated_virtual:
            stored.append(idx)
        if "PRIMARY" in upper:
            k = upper.index("PRIMARY")
            col_pk.append((idx, "DESC" in upper[k : k + 4]))
            uniques.append([cname])
        elif "UNIQUE" in upper:
            uniques.append([cname])
        if "AUTOINCREMENT" in upper:
            autoinc = True
    alias = None
    if not without_rowid:
        if len(col_pk) == 1 and not table_pk:
            ci, desc = col_pk[0]
            if columns[ci].type.upper() == "INTEGER" and not desc:
                alias = ci
        elif len(table_pk) == 1 and not col_pk:
            pk = table_pk[0][0].lower()
            for ci, c in enumerate(columns):
                if c.name.lower() == pk and c.type.upper() == "INTEGER":
                    alias = ci
    if alias is not None:  # the rowid alias needs no index: autoindex numbering skips it
        uniques = [u for u in uniques if [n.lower() for n in u] != [columns[alias].name.lower()]]
    if without_rowid:
        pk_names = [n.lower() for n, _ in table_pk] or [columns[i].name.lower() for i, _ in col_pk]
        pk_idx = [i for n in pk_names for i, c in enumerate(columns) if c.name.lower() == n]
        order = pk_idx + [i for i in stored if i not in pk_idx]
        kind = "without-rowid"
    else:
        order = stored
        kind = "table"
    return TableDef(
        name, kind, root, columns, order, alias, name, sql=sql, autoincrement=autoinc, uniques=uniques
    )


def parse_create_index(name: str, table: TableDef | None, root: int, sql: str | None) -> TableDef:
    """Parse ``CREATE INDEX`` SQL (or derive an autoindex) into a :class:`TableDef` of kind index.

    An index record holds the indexed columns then the rowid; the rowid is exposed as a last
    column named ``rowid``.
    """
    names: list[str] = []
    unique = False
    if sql:
        toks = _tokens(sql)
        unique = len(toks) > 1 and toks[1].upper() == "UNIQUE"
        try:
            on = [t.upper() for t in toks].index("ON")
            names = [n for n, _ in _paren_names(toks[on:])]
        except ValueError:
            names = []
    elif table is not None:
        unique = True
        m = re.search(r"_(\d+)$", name)
        k = int(m.group(1)) - 1 if m else 0
        uniq = table.uniques
        if 0 <= k < len(uniq):
            names = uniq[k]
    cols = [Column(n, "", "", _col_affinity(table, n)) for n in names]
    if table is not None and table.kind == "without-rowid":
        pk = [table.columns[i] for i in table.record_order if table.columns[i].name not in names]
        cols += [Column(c.name, "", "", c.affinity) for c in pk]
    else:
        cols.append(Column("rowid", "", "INTEGER", "INTEGER"))
    return TableDef(
        name, "index", root, cols, list(range(len(cols))), None, table.name if table else "", unique, sql
    )


def _col_affinity(table: TableDef | None, name: str) -> str:
    if table is None:
        return "BLOB"
    for c in table.columns:
        if c.name.lower() == name.lower():
            return c.affinity
    return "BLOB"


SQLITE_MASTER = TableDef(
    "sqlite_master",
    "table",
    1,
    [
        Column("type", "text", "text", "TEXT"),
        Column("name", "text", "text", "TEXT"),
        Column("tbl_name", "text", "text", "TEXT"),
        Column("rootpage", "int", "int", "INTEGER"),
        Column("sql", "text", "text", "TEXT"),
    ],
    [0, 1, 2, 3, 4],
)


def build_schema(rows: list[tuple[object, ...]], dropped: bool = False) -> list[TableDef]:
    """Turn ``sqlite_master`` rows ``(type, name, tbl_name, rootpage, sql)`` into definitions.

    Tables come first so that autoindexes can look up their table. Rows that cannot be
    parsed are skipped (a damaged schema row must not stop recovery of the others).
    """
    tables: dict[str, TableDef] = {}
    out: list[TableDef] = []
    for r in rows:
        typ, name, _tbl, root, sql = (list(r) + [None] * 5)[:5]
        if typ != "table" or not isinstance(name, str) or not isinstance(sql, str):
            continue
        if not isinstance(root, int) or root < 1:
            continue
        if not sql.lstrip().upper().startswith("CREATE TABLE"):
            continue
        try:
            td = parse_create_table(name, root, sql)
        except (IndexError, ValueError):
            continue
        if not td.columns:
            continue
        td.dropped = dropped
        tables[name.lower()] = td
        out.append(td)
    for r in rows:
        typ, name, tbl, root, sql = (list(r) + [None] * 5)[:5]
        if typ != "index" or not isinstance(name, str) or not isinstance(root, int) or root < 1:
            continue
        table = tables.get(str(tbl).lower())
        try:
            idx = parse_create_index(name, table, root, sql if isinstance(sql, str) else None)
        except (IndexError, ValueError):
            continue
        if idx.columns:
            idx.dropped = dropped
            out.append(idx)
    return out
