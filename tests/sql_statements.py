"""Raw SQL in app/, found statically, and a check that it is scoped to one campaign.

Collecting (`collect`): every `*.py` under app/ is parsed with `ast` (nothing is imported or
run). A statement is

- the argument of sqlalchemy's `text(...)`: a string literal, an f-string, `TEMPLATE.format(...)`,
  `a + b`, `a if c else b`, or a name bound to one of those in the enclosing function or the
  module, including `a, b = helper(...)` where the module's `helper` returns a list/tuple of
  them. f-string fields that name a single string constant are inlined; any other field, and
  every `.format` placeholder, stays in the text as `{name}`;
- the query of an asyncpg `copy_from_query`, and the table of `copy_to_table` /
  `copy_records_to_table` (as `INSERT INTO table (columns)`) and of `copy_from_table`
  (as `SELECT * FROM table`);
- any other string in app/ that starts like a statement (upper-case SELECT, INSERT INTO, UPDATE,
  DELETE FROM or WITH), so SQL run some other way is checked too.

A `text()` argument the collector cannot read (a parameter, a call result) is reported as
unresolved instead of being skipped silently.

Checking (`unscoped`): the statement is tokenised (comments, string literals and `{...}`
placeholders are single tokens). A tenant-owned table is referenced after FROM, JOIN, UPDATE,
INSERT INTO / INTO, or after a comma in a FROM list, at any depth (sub-selects, CTEs,
LATERAL); its alias is the next word (`person p`, `person AS p`), else the table's own name.

- INSERT INTO a tenant table must list `campaign_id` among its columns.
- Every other reference must be *anchored*: `alias.campaign_id` compared with `=`, `IN` or
  `= ANY(...)` to a bind parameter, a number, `CAST(:param ...)`, a list or a sub-select, or
  equated with `other.campaign_id` where `other` is itself anchored (`h.campaign_id =
  t.campaign_id AND t.campaign_id = :cid`). A bare `campaign_id` counts for the one tenant
  table of its own (sub-)select. Comparisons inside an UPDATE's SET list do not count.
- `campaign` itself is the tenant: its key is `id` (`c.id = :cid`) instead of `campaign_id`.

It is a heuristic, not a parser: it does not see through OR, through a CTE that re-exports
campaign_id, nor into what a `{placeholder}` will hold. It is meant to catch the common mistake,
a table joined or selected without its campaign_id, and to fail loudly when SQL changes.
"""

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData

# ---------------------------------------------------------------------------------------------
# Tenant tables


def tenant_tables(metadata: MetaData) -> dict[str, str]:
    """Table -> the column that scopes it: `campaign_id`, or `id` for the campaign itself."""
    tables = {name: "campaign_id" for name, t in metadata.tables.items() if "campaign_id" in t.c}
    tables["campaign"] = "id"
    return tables


# ---------------------------------------------------------------------------------------------
# Collecting the statements


@dataclass(frozen=True)
class Statement:
    path: str  # relative to the repository, e.g. app/services/canvass/history.py
    line: int  # where the statement's text (its literal or template) starts
    sql: str
    via: str  # "text()", "asyncpg" or "literal"


@dataclass(frozen=True)
class Unresolved:
    path: str
    line: int
    source: str  # the text() argument, as written


SQL_START = re.compile(r"\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH)\s")
TEXT_MODULES = {"sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlmodel"}
ASYNCPG_COPY_INTO = {"copy_to_table", "copy_records_to_table"}


@dataclass(frozen=True)
class Spelled:
    node: ast.AST  # the literal (or template) that spells the text
    text: str
    path: str | None = None  # the file of `node`, when not the file being collected


class _Module:
    """One parsed file: its scopes, and what its names are bound to."""

    def __init__(self, path: str, source: str, root: Path | None = None) -> None:
        self.path = path
        self.root = root
        self.tree = ast.parse(source)
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        self.functions = {
            n.name: n
            for n in self.tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.text_names, self.sqlalchemy_names = self._imports()
        # `from app.services.x import queries`: alias -> module path (`queries.NAME` is read there)
        self.app_modules = {
            a.asname or a.name: f"{node.module}.{a.name}".replace(".", "/") + ".py"
            for node in self.tree.body
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app")
            for a in node.names
        }

    def _imports(self) -> tuple[set[str], set[str]]:
        text_names: set[str] = set()
        modules: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module in TEXT_MODULES:
                text_names |= {a.asname or a.name for a in node.names if a.name == "text"}
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name for a in node.names if a.name in TEXT_MODULES}
        return text_names, modules

    def is_text_call(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call) or not node.args:
            return False
        f = node.func
        if isinstance(f, ast.Name):
            return f.id in self.text_names
        return (
            isinstance(f, ast.Attribute)
            and f.attr == "text"
            and isinstance(f.value, ast.Name)
            and f.value.id in self.sqlalchemy_names
        )

    def scopes(self, node: ast.AST) -> list[ast.AST]:
        """The enclosing functions, innermost first, then the module."""
        out: list[ast.AST] = []
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                out.append(node)
        return out

    # Resolution: an expression -> the strings it can be, each with the node that spells it.

    def resolve(self, expr: ast.AST, scopes: list[ast.AST], depth: int = 0) -> list[Spelled] | None:
        """The string values `expr` can take, or None when one of them cannot be read."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [Spelled(expr, expr.value)]
        if isinstance(expr, ast.JoinedStr):
            return [Spelled(expr, self.render(expr, scopes, depth))]
        if isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Attribute) and f.attr == "format":
                return self.resolve(f.value, scopes, depth + 1)  # the template, as written
            if self.is_text_call(expr):
                return self.resolve(expr.args[0], scopes, depth + 1)
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self.resolve(expr.left, scopes, depth + 1)
            right = self.resolve(expr.right, scopes, depth + 1)
            if left is None or right is None:
                return None
            return [Spelled(a.node, a.text + b.text) for a in left for b in right]
        if isinstance(expr, ast.IfExp):
            body = self.resolve(expr.body, scopes, depth + 1)
            orelse = self.resolve(expr.orelse, scopes, depth + 1)
            return None if body is None or orelse is None else body + orelse
        if isinstance(expr, ast.Name):
            return self._resolve_name(expr.id, scopes, depth + 1)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            return self._resolve_imported(expr.value.id, expr.attr, depth + 1)
        return None

    def _resolve_imported(self, alias: str, name: str, depth: int) -> list[Spelled] | None:
        """`module.NAME` where module is one of app's (e.g. a package's queries.py)."""
        relative = self.app_modules.get(alias)
        if self.root is None or relative is None or not (self.root / relative).is_file():
            return None
        other = _Module(relative, (self.root / relative).read_text(encoding="utf-8"), self.root)
        found = other._resolve_name(name, [other.tree], depth)
        return (
            None if found is None else [Spelled(f.node, f.text, f.path or relative) for f in found]
        )

    def _resolve_name(self, name: str, scopes: list[ast.AST], depth: int) -> list[Spelled] | None:
        for i, scope in enumerate(scopes):
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                a = scope.args
                params = a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
                if any(p is not None and p.arg == name for p in params):
                    return None  # whatever the caller passes
            values = list(self._bindings(scope, name))
            if values:
                out: list[Spelled] = []
                for value in values:
                    found = self._resolve_value(value, scopes[i:], depth)
                    if found is None:
                        return None
                    out += found
                return out
        return None

    def _bindings(self, scope: ast.AST, name: str) -> Iterator[tuple[ast.AST, int | None]]:
        """The values assigned to `name` directly in this scope: (value, index when unpacked)."""
        body = scope.body if isinstance(scope, ast.Module) else list(_own_nodes(scope))
        for node in body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id == name:
                    yield value, None
                elif isinstance(target, ast.Tuple | ast.List):
                    for index, elt in enumerate(target.elts):
                        if isinstance(elt, ast.Name) and elt.id == name:
                            yield value, index

    def _resolve_value(
        self, binding: tuple[ast.AST, int | None], scopes: list[ast.AST], depth: int
    ) -> list[Spelled] | None:
        value, index = binding
        if index is None:
            return self.resolve(value, scopes, depth)
        if isinstance(value, ast.Tuple | ast.List):
            return self.resolve(value.elts[index], scopes, depth)
        # `a, b = helper(...)` (or `module.helper(...)` of an app module): the index-th item
        # of what the helper returns
        where = self._helper(value)
        if where is None:
            return None
        module, helper = where
        out: list[Spelled] = []
        for ret in _own_nodes(helper):
            if not isinstance(ret, ast.Return):
                continue
            items = ret.value
            if not isinstance(items, ast.Tuple | ast.List) or len(items.elts) <= index:
                return None
            found = module.resolve(items.elts[index], [helper, module.tree], depth)
            if found is None:
                return None
            out += [Spelled(f.node, f.text, f.path or module.path) for f in found]
        return out or None

    def _helper(self, call: ast.AST) -> "tuple[_Module, ast.AST] | None":
        """The module and function that a call `helper(...)` or `module.helper(...)` runs."""
        if not isinstance(call, ast.Call):
            return None
        f = call.func
        if isinstance(f, ast.Name) and f.id in self.functions:
            return self, self.functions[f.id]
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            other = self._imported(f.value.id)
            if other is not None and f.attr in other.functions:
                return other, other.functions[f.attr]
        return None

    def _imported(self, alias: str) -> "_Module | None":
        relative = self.app_modules.get(alias)
        if self.root is None or relative is None or not (self.root / relative).is_file():
            return None
        return _Module(relative, (self.root / relative).read_text(encoding="utf-8"), self.root)

    def render(self, joined: ast.JoinedStr, scopes: list[ast.AST], depth: int) -> str:
        """An f-string's text: fields naming one string constant inlined, others `{name}`."""
        parts: list[str] = []
        for value in joined.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = value.value
                found = None
                if isinstance(inner, ast.Name):
                    found = self._resolve_name(inner.id, scopes, depth + 1)
                if found is not None and len(found) == 1:
                    parts.append(found[0].text)
                else:
                    parts.append("{" + (inner.id if isinstance(inner, ast.Name) else "expr") + "}")
        return "".join(parts)


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function, without those of functions nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _is_docstring(module: _Module, node: ast.AST) -> bool:
    return isinstance(module.parent.get(node), ast.Expr)


def collect_source(
    path: str, source: str, root: Path | None = None
) -> tuple[list[Statement], list[Unresolved]]:
    """The statements of one file (see the module docstring). With `root`, names imported from
    other app modules (`queries.NAME`) are read there."""
    module = _Module(path, source, root)
    found: dict[tuple[str, int, int], Statement] = {}
    unresolved: list[Unresolved] = []

    def add(spelled: Iterable[Spelled], via: str) -> None:
        for s in spelled:
            where = s.path or path
            key = (where, getattr(s.node, "lineno", 0), getattr(s.node, "col_offset", 0))
            if key not in found:
                found[key] = Statement(where, key[1], s.text, via)

    in_fstring = {
        id(v) for n in ast.walk(module.tree) if isinstance(n, ast.JoinedStr) for v in n.values
    }
    for node in ast.walk(module.tree):
        if module.is_text_call(node):
            assert isinstance(node, ast.Call)
            spelled = module.resolve(node.args[0], module.scopes(node))
            if spelled is None:
                unresolved.append(Unresolved(path, node.lineno, ast.unparse(node.args[0])))
            else:
                add(spelled, "text()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            add(_asyncpg(module, node), "asyncpg")
    for node in ast.walk(module.tree):
        if id(node) in in_fstring or _is_docstring(module, node):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = module.render(node, module.scopes(node), 0)
        else:
            continue
        if SQL_START.match(text):
            add([Spelled(node, text)], "literal")
    return sorted(found.values(), key=lambda s: s.line), unresolved


def _asyncpg(module: _Module, call: ast.Call) -> list[Spelled]:
    """asyncpg's COPY calls, as the statement each amounts to (see the module docstring)."""
    assert isinstance(call.func, ast.Attribute)
    method, scopes = call.func.attr, module.scopes(call)
    if method == "copy_from_query":
        return module.resolve(call.args[0], scopes) or []
    if method not in ASYNCPG_COPY_INTO | {"copy_from_table"}:
        return []
    tables = module.resolve(call.args[0], scopes) or []
    if method == "copy_from_table":
        return [Spelled(call, f"SELECT * FROM {t.text}") for t in tables]
    columns = next((k.value for k in call.keywords if k.arg == "columns"), None)
    names = "{columns}"
    if isinstance(columns, ast.List | ast.Tuple):
        names = ", ".join(
            str(e.value) if isinstance(e, ast.Constant) else "{expr}" for e in columns.elts
        )
    return [Spelled(call, f"INSERT INTO {t.text} ({names})") for t in tables]


def collect(root: Path, package: str = "app") -> tuple[list[Statement], list[Unresolved]]:
    """The statements and unreadable text() arguments of every module under root/package."""
    statements: list[Statement] = []
    unresolved: list[Unresolved] = []
    for file in sorted((root / package).rglob("*.py")):
        path = file.relative_to(root).as_posix()
        s, u = collect_source(path, file.read_text(encoding="utf-8"), root)
        statements += s
        unresolved += u
    # A statement of a queries.py is found there and again through the text() that runs it.
    unique = {(s.path, s.line): s for s in sorted(statements, key=lambda s: s.via != "text()")}
    return sorted(unique.values(), key=lambda s: (s.path, s.line)), unresolved


# ---------------------------------------------------------------------------------------------
# Checking one statement

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^']|'')*')
    |(?P<placeholder>\{[^{}]*\})
    |(?P<op>::|<>|[<>!]=|->>?|\|\|)
    |(?P<param>:[A-Za-z_]\w*)
    |(?P<name>(?:[A-Za-z_]\w*|"[^"]+")(?:\.(?:[A-Za-z_]\w*|"[^"]+"|\*))*)
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<char>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# Words after which a clause starts; a new one ends the previous clause of the same (sub-)select.
_CLAUSES = {
    "select", "from", "where", "group", "having", "order", "limit", "offset", "join", "on",
    "using", "set", "values", "returning", "union", "except", "intersect", "window", "into",
}  # fmt: skip
_NOT_ALIAS = _CLAUSES | {
    "as", "inner", "left", "right", "full", "cross", "natural", "lateral", "for", "with",
    "default", "do", "and", "or", "not", "tablesample", "only",
}  # fmt: skip
_STATEMENT_START = {"select", "with", "insert", "update", "delete", "values"}


@dataclass(frozen=True)
class Token:
    kind: str  # name, param, number, string, placeholder, op, char
    text: str  # names lower-case, without quotes
    pos: int


def tokenize(sql: str) -> list[Token]:
    tokens = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup or "char"
        if kind == "space":
            continue
        text = m.group()
        if kind == "name":
            text = text.replace('"', "").lower()
        elif kind in ("op", "char"):
            kind = "op"
        tokens.append(Token(kind, text, m.start()))
    return tokens


@dataclass
class Reference:
    table: str
    alias: str
    block: int  # which (sub-)select it is in
    insert: bool
    pos: int
    columns: list[str] = field(default_factory=list)  # an INSERT's column list


@dataclass(frozen=True)
class Problem:
    table: str
    alias: str
    why: str
    near: str  # the statement's text around the reference


@dataclass
class _Frame:
    block: int
    clause: str | None = None
    in_set: bool = False


def _references(
    tokens: list[Token], tables: dict[str, str]
) -> tuple[list[Reference], list[int], list[bool]]:
    """Tenant-table references, and each token's block and whether it is in a SET list."""
    frames = [_Frame(block=0)]
    blocks = 0
    refs: list[Reference] = []
    token_block: list[int] = []
    token_in_set: list[bool] = []
    for i, tok in enumerate(tokens):
        frame = frames[-1]
        prev = tokens[i - 1].text if i else ""
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if tok.text == "(":
            if nxt in _STATEMENT_START:
                blocks += 1
                frames.append(_Frame(block=blocks))
            else:
                frames.append(_Frame(block=frame.block, in_set=frame.in_set))
        elif tok.text == ")" and len(frames) > 1:
            frames.pop()
        keyword = tok.text if tok.kind == "name" and prev != "distinct" else ""  # IS DISTINCT FROM
        if keyword in _CLAUSES:
            frame.clause = keyword
            frame.in_set = keyword == "set"
        if keyword in ("from", "join", "update", "into") or (
            tok.text == "," and frame.clause == "from"
        ):
            ref = _reference_at(tokens, i + 1, tables, frames[-1].block, insert=tok.text == "into")
            if ref is not None:
                refs.append(ref)
        token_block.append(frames[-1].block)
        token_in_set.append(frames[-1].in_set)
    return refs, token_block, token_in_set


def _reference_at(
    tokens: list[Token], j: int, tables: dict[str, str], block: int, insert: bool
) -> Reference | None:
    if j < len(tokens) and tokens[j].text == "only":
        j += 1
    if j >= len(tokens) or tokens[j].kind != "name":
        return None
    table = tokens[j].text.removeprefix("public.")
    if table not in tables:
        return None
    alias, k = table, j + 1
    if k < len(tokens) and tokens[k].text == "as":
        k += 1
    if k < len(tokens) and tokens[k].kind == "name" and tokens[k].text not in _NOT_ALIAS:
        alias, k = tokens[k].text, k + 1
    ref = Reference(table, alias, block, insert, tokens[j].pos)
    if insert and k < len(tokens) and tokens[k].text == "(":
        depth = 0
        for tok in tokens[k:]:
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
            if depth == 0:
                break
            if depth == 1 and tok.kind == "name":
                ref.columns.append(tok.text)
    return ref


def references(sql: str, tables: dict[str, str]) -> list[Reference]:
    """The references to tenant-owned tables in `sql`."""
    return _references(tokenize(sql), tables)[0]


def unscoped(sql: str, tables: dict[str, str]) -> list[Problem]:
    """The tenant-table references of `sql` that are not scoped to one campaign."""
    tokens = tokenize(sql)
    refs, token_block, token_in_set = _references(tokens, tables)
    key_of = {r.alias: tables[r.table] for r in refs if not r.insert}
    by_block: dict[int, list[Reference]] = {}
    for r in refs:
        if not r.insert:
            by_block.setdefault(r.block, []).append(r)

    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    # A bare column is that of the one tenant table of its (sub-)select, if there is one.
    for block, own in by_block.items():
        if len(own) == 1:
            union(f"#{block}", own[0].alias)

    def key_node(i: int) -> str | None:
        """The node a token stands for when it is a scoping column (`p.campaign_id`), else None."""
        if i < 0 or i >= len(tokens) or tokens[i].kind != "name":
            return None
        qualifier, _, column = tokens[i].text.rpartition(".")
        if qualifier:
            return qualifier if column == key_of.get(qualifier, "campaign_id") else None
        own = by_block.get(token_block[i], [])
        key = tables[own[0].table] if len(own) == 1 else "campaign_id"
        return f"#{token_block[i]}" if column == key else None

    def is_anchor(i: int) -> bool:
        """Whether the expression starting at token i is a fixed value (not another column)."""
        if i >= len(tokens):
            return False
        t = tokens[i]
        if t.kind in ("param", "number") or t.text in ("any", "("):
            return True
        return t.text == "cast" and i + 2 < len(tokens) and tokens[i + 2].kind == "param"

    anchored: list[str] = []
    for i in range(len(tokens)):
        node = key_node(i)
        if node is None or token_in_set[i]:
            continue
        before = tokens[i - 1].text if i else ""
        after = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if after == "in" or (after == "=" and is_anchor(i + 2)):
            anchored.append(node)
        elif after == "=" and (other := key_node(i + 2)) is not None:
            union(node, other)
        elif before == "=" and i >= 2 and tokens[i - 2].kind == "param":
            anchored.append(node)
    roots = {find(a) for a in anchored}

    problems = []
    for r in refs:
        key = tables[r.table]
        near = " ".join(sql[r.pos :].split()[:4])
        if r.insert:
            if key not in r.columns:
                problems.append(Problem(r.table, r.alias, f"INSERT without {key}", near))
        elif find(r.alias) not in roots:
            why = f"no {r.alias}.{key} = :param, nor a join on it to a scoped table"
            problems.append(Problem(r.table, r.alias, why, near))
    return problems
