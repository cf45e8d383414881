"""The seam between views and services, held by tests (issue 15).

- views reach features only through ``kiosk.views.access.services()``: they import no database,
  devices, key, settings, audit or clock module, and hold no SQL;
- no import circles between the packages (and top-level modules) of kiosk/, counting every
  module-level import (``if TYPE_CHECKING:`` blocks and imports inside functions do not count);
- every refusal code of every feature has its wording in English and in Bahasa Indonesia.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

from babel.messages.pofile import read_po

import kiosk
from kiosk.refusals import tables

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ROOT / "kiosk" / "views"

# What a view must never reach for: the runtime, storage, devices, keys and the audit log are
# the services' business.
FORBIDDEN_IN_VIEWS = (
    "sqlite3",
    "drivers",
    "kiosk.db",
    "kiosk.context",
    "kiosk.wiring",
    "kiosk.core",
    "kiosk.devices",
    "kiosk.devicekey",
    "kiosk.settings",
    "kiosk.audit",
    "kiosk.clock",
    "kiosk.storage",
    "kiosk.integrity",
    "kiosk.backup",
    "kiosk.upload.worker",
    "kiosk.upload.tus",
    "kiosk.upload.run",
)
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, module_level_only: bool) -> list[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    nodes: list[ast.stmt | ast.expr] = []
    if module_level_only:
        for node in tree.body:
            is_type_check = (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Name | ast.Attribute)
                and "TYPE_CHECKING" in ast.unparse(node.test)
            )
            if isinstance(node, ast.Import | ast.ImportFrom):
                nodes.append(node)
            elif isinstance(node, ast.If | ast.Try) and not is_type_check:
                nodes += [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    else:
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.append(base)
            # "from kiosk.services import auth" imports the submodule too
            found += [f"{base}.{a.name}" for a in node.names]
    return found


def _view_files() -> list[Path]:
    files = sorted(VIEWS.glob("*.py"))
    assert len(files) > 10
    return files


def test_views_import_no_database_device_key_or_runtime_module():
    offenders = [
        f"{f.relative_to(ROOT)} imports {name}"
        for f in _view_files()
        for name in _imports(f, module_level_only=False)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_VIEWS)
    ]
    assert offenders == []


def test_views_hold_no_sql_and_reach_no_database_devices_or_settings():
    offenders = []
    for f in _view_files():
        text = f.read_text(encoding="utf-8")
        for no, line in enumerate(text.splitlines(), 1):
            if SQL.search(line) or re.search(r"\.(db|devices|settings|card_watch)\b", line):
                offenders.append(f"{f.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []


def test_templates_never_get_the_runtime_or_the_services_whole():
    offenders = [
        f"{t.relative_to(ROOT)}: {m.group(0)}"
        for t in sorted((ROOT / "kiosk" / "templates").rglob("*.html"))
        for block in re.findall(r"\{[{%].*?[%}]\}", t.read_text(encoding="utf-8"), re.S)
        for m in re.finditer(r"\b(kiosk|services)\.\w+", re.sub(r"(['\"]).*?\1", "", block))
    ]
    assert offenders == []


def _node(module: str) -> str:
    """The unit whose circles count: a package below kiosk/ (kiosk.chasil) or a top-level
    module of kiosk (kiosk.app)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        source = _node(_module_name(path))
        if source == "kiosk":
            continue  # kiosk/__init__.py only re-exports create_app
        for name in _imports(path, module_level_only=True):
            if not name.startswith("kiosk."):
                continue
            target = _node(name)
            if target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_between_the_packages_of_kiosk():
    graph = _graph()
    assert "kiosk.views" in graph and "kiosk.chasil" in graph  # the graph was really built
    circles = _cycles(graph)
    detail = [
        f"{' <-> '.join(c)}: "
        + "; ".join(f"{a} -> {b}" for a in c for b in sorted(graph.get(a, ())) if b in c)
        for c in circles
    ]
    assert detail == []


def _import_every_kiosk_module() -> None:
    for info in pkgutil.walk_packages(kiosk.__path__, "kiosk."):
        if ".demo" in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)


def test_every_refusal_code_has_wording_in_both_languages():
    _import_every_kiosk_module()
    registered = tables()
    assert len(registered) >= 5, sorted(t.__name__ for t in registered)
    catalogue = read_po(
        (ROOT / "kiosk/translations/id/LC_MESSAGES/messages.po").open(encoding="utf-8")
    )
    missing = []
    for codes, table in registered.items():
        for code in codes:
            if code not in table:
                missing.append(f"{codes.__name__}.{code.name}: no wording")
                continue
            msgid = table[code]._args[0]  # the English wording (a lazy string's msgid)
            entry = catalogue.get(msgid)
            if not msgid.strip():
                missing.append(f"{codes.__name__}.{code.name}: empty English wording")
            if entry is None or not entry.string:
                missing.append(f"{codes.__name__}.{code.name}: no Bahasa Indonesia for {msgid!r}")
    assert missing == []


def test_every_feature_codes_subclass_is_registered():
    _import_every_kiosk_module()
    from kiosk.refusals import RefusalCode

    def subclasses(cls: type) -> set[type]:
        return {s for c in cls.__subclasses__() for s in (c, *subclasses(c))}

    unregistered = sorted(c.__name__ for c in subclasses(RefusalCode) if c not in tables())
    assert unregistered == []


def test_mypy_is_strict_over_all_of_kiosk_and_drivers():
    """scripts/test runs mypy on kiosk and drivers; the configuration keeps it strict there,
    with no module let off."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config.get("strict") is True
    relaxed = [o["module"] for o in config.get("overrides", []) if set(o) - {"module"}]
    assert relaxed == []
    assert ".venv/bin/mypy drivers kiosk" in (ROOT / "scripts/test").read_text(encoding="utf-8")


# Where an owner keeps its SQL in a module of its own (the owner's storage), beside the module
# that declares ``owns``.
OWNER_STORAGE = {
    "kiosk/services/audit_trail.py": ("kiosk/audit.py", "kiosk/audit_head.py"),
    "kiosk/upload/queue.py": ("kiosk/upload/outbox.py",),
    "kiosk/chasil/documents.py": ("kiosk/chasil/pages.py",),
    "kiosk/training/service.py": ("kiosk/training/network.py",),
    # The reminders tapped away are kept beside the reminders' rules.
    "kiosk/checklist/service.py": ("kiosk/checklist/reminders.py",),
    # Provisioning installs the roster that the auth service checks logins against.
    "kiosk/services/auth.py": ("kiosk/services/provisioning.py",),
}
# The database as a file: the schema, the start-up integrity check and the backup look at
# officers and the highest ids to judge a file, whichever service owns the rows.
WHOLE_DATABASE = ("kiosk/db.py", "kiosk/integrity.py", "kiosk/backup.py")
# A job's bundle is built from its document's folder: the queue reads (never writes) them.
READS_ACROSS = {("kiosk/upload/outbox.py", "document")}
TABLE_IN_SQL = r"(?:FROM|INTO|UPDATE|JOIN)\s+{}\b"


def _owners() -> dict[str, set[str]]:
    """table -> the modules allowed to name it in SQL, from the ``owns`` declarations."""
    allowed: dict[str, set[str]] = {}
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "owns"
                and isinstance(node.value, ast.Tuple)
            ):
                for elt in node.value.elts:
                    assert isinstance(elt, ast.Constant), rel
                    modules = {rel, *OWNER_STORAGE.get(rel, ())}
                    allowed.setdefault(str(elt.value), set()).update(modules)
    return allowed


def test_each_table_is_named_in_sql_only_by_its_owner():
    owners = _owners()
    assert {"document", "upload_job", "incident", "officer"} <= set(owners)
    offenders = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel in WHOLE_DATABASE or rel.startswith("kiosk/collector/"):
            continue  # the collector has a database of its own
        text = path.read_text(encoding="utf-8")
        for table, modules in owners.items():
            if rel in modules or (rel, table) in READS_ACROSS:
                continue
            if re.search(TABLE_IN_SQL.format(table), text):
                offenders.append(f"{rel} names {table} (owned by {sorted(modules)[0]})")
    assert offenders == []
