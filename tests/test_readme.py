"""The READMEs cannot rot.

Every README a reader may open (the top one, each folder's README.md, the
pages in docs/ and exercises/README.md) is read, and:

- every repository path it names in a `code span` or a link exists (unless
  .gitignore names it: a run makes it), and a link's #anchor names a
  heading of the file it points to. Cells of a table's "original" column
  name the original tutorial's files and are not checked;
- every test it cites exists: `tests.test_x`, `tests.test_x.Class`,
  `tests.test_x.Class.test_method`, a bare `Class.test_method` (looked up in
  the test modules its section names, or in all of them), `test_*` globs,
  and pytest node ids `tests/path.py::test_name`. Test modules are imported,
  so classes generated from a spec table count;
- the top README stays short enough to scan, and its tutorial maps name
  every program, directly or through the folder README the map links to;
- no line of any README, or of any page in docs/, is over 200 characters.
  A table whose cells need more becomes a list, one entry a row: a bold
  head (the first column), then the other columns as labelled lines,
  `- label: value` (see `entries`). The checks read tables and lists alike.
"""

import ast
import fnmatch
import importlib
import inspect
import os
import re
import unittest
from pathlib import Path

from twisted.trial.unittest import TestCase

from tests.support import ROOT

TOP = ROOT / "README.md"

# Folders a path may start with; a `code span` naming one of them is a
# repository path, relative to the root (commands run from the root).
OUR_DIRS = ("poetry", "twisted-client", "twisted-server", "twisted", "deferred-examples",
            "inline-callbacks", "tests", "blocking-server", "blocking-client", "async-client",
            "basic-twisted", "exercises", "bench", "tools", "docs", "finger", "writing-servers",
            "runner")
PATH_RE = re.compile(rf"(?:\./)?((?:{'|'.join(map(re.escape, OUR_DIRS))})/[\w./*-]*)")
# `dir/a-1.py` … `dir/a-7.py` names the whole numbered series between them.
RANGE_RE = re.compile(r"`([\w./-]*?)(\d+)(\.py|\.tac)` … `\1(\d+)\3`")

# Programs a reader runs: every one must be in a map.
PROGRAM_DIRS = ("twisted-client", "twisted-server", "deferred-examples", "inline-callbacks",
                "basic-twisted", "blocking-server", "blocking-client", "async-client",
                "twisted/plugins", "finger", "writing-servers", "exercises")
PROGRAM_SUFFIXES = (".py", ".tac", "")
NOT_PROGRAMS = {"README.md", "dropin.cache"}

TOP_MAX_LINES = 200
MAX_LINE = 200


def readmes():
    """Every README the check covers, as paths."""
    found = [TOP, *sorted(ROOT.glob("*/README.md")), *sorted((ROOT / "docs").glob("*.md"))]
    # Not .venv's, nor one a tool writes (pytest's .pytest_cache/README.md).
    return [p for p in found if not p.relative_to(ROOT).parts[0].startswith(".")]


def pages():
    """Every page the line-length check covers: the READMEs above, and any
    README.md deeper down in the checkout (not in .venv, .nox or a folder a
    run writes)."""
    found = set(readmes())
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))
                   and not made_by_a_run(rel(Path(top) / d))]
        if "README.md" in files:
            found.add(Path(top) / "README.md")
    return sorted(found)


def rel(path):
    return str(path.relative_to(ROOT))


def code_spans(text):
    text = re.sub(r"``.*?``", "", text)  # ``kill `cat twistd.pid` `` names no path
    return re.findall(r"`([^`\n]+)`", text)


def sections(text):
    """(heading, body) pairs; text before the first heading has heading ''."""
    parts = re.split(r"^(#{1,6} .*)$", text, flags=re.M)
    out = [("", parts[0])]
    for i in range(1, len(parts), 2):
        out.append((parts[i], parts[i + 1]))
    return out


def slug(heading):
    """GitHub's anchor for a heading."""
    title = re.sub(r"^#+ ", "", heading).strip().lower()
    title = re.sub(r"[^\w\- ]", "", title)
    return title.replace(" ", "-")


def ignored_patterns():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines
            if line.strip() and not line.startswith(("#", "!"))]


def made_by_a_run(name):
    """A path .gitignore names (or one inside such a folder) is written by a
    command the README shows, such as `make bench`; a checkout need not have it."""
    parts = name.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in ignored_patterns():
        for prefix in prefixes:
            last = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatch(prefix, pattern.lstrip("/")) or (
                    "/" not in pattern and fnmatch.fnmatch(last, pattern)):
                return True
    return False


# --- paths -------------------------------------------------------------------

def split_row(line):
    """The cells of a table row; `\\|` inside a cell is a literal bar."""
    return re.split(r"(?<!\\)\|", line.strip()[1:-1])


# --- lists -------------------------------------------------------------------
# An entry of a list that stands for a table's row: its head, in bold, on a
# line of its own or as a list item, then its fields, one list item each,
# under the head (a paragraph head) or nested two spaces in (a list-item
# head). A field's value goes on over indented lines that are not fields,
# and over blank lines; any other line ends the entry.
#
#     **4. Twisted Poetry**                  - **4. Twisted Poetry**: [twisted-client/](…)
#     - programs: `twisted-client/…`           - programs: `twisted-client/…`
#     - tests: `tests.test_clients.…`          - tests: `tests.test_clients.…`
#
# Text after the head ("**head**: rest", and lines indented under it before
# the first field) belongs to the head: the maps give a Part's details there.

HEAD_RE = re.compile(r"(?P<item>- )?\*\*(?P<head>[^*]+)\*\*(?P<rest>.*)")
FIELD_RE = re.compile(r"(?P<indent> *)- (?:(?P<label>[a-z][\w' ]*): ?)?(?P<value>.*)")
TEST_LABELS = ("test", "tests")


class Entry:
    """One entry of a list: its section's heading, its head, what follows
    the head before its first field (`rest`: "**head**: rest"), and its
    fields as (label, value) pairs in order (label None for an unlabelled
    item)."""

    def __init__(self, heading, head, rest, indent):
        self.heading, self.head, self.indent, self.fields = heading, head, indent, []
        self.rest = rest.strip().removeprefix(":").strip()

    @property
    def labels(self):
        return [label for label, _ in self.fields]

    def get(self, label, default=None):
        return next((value for lab, value in self.fields if lab == label), default)

    def tests(self):
        return next((value for lab, value in self.fields if lab in TEST_LABELS), None)


def entries(text):
    """Every list entry in text, in order, as Entry objects."""
    found = []
    for heading, body in sections(text):
        entry = None
        for line in body.splitlines():
            head = HEAD_RE.fullmatch(line)
            field = FIELD_RE.fullmatch(line)
            if head:
                entry = Entry(heading, head.group("head").strip(), head.group("rest"),
                              2 if head.group("item") else 0)
                found.append(entry)
            elif entry and field and len(field.group("indent")) == entry.indent:
                entry.fields.append((field.group("label"), field.group("value").strip()))
            elif not entry and field and field.group("label") in TEST_LABELS:
                # A tests field with no head above it: a head the parser
                # cannot read (say, split over two lines). Kept, head None,
                # so that the checks say so.
                entry = Entry(heading, None, "", len(field.group("indent")))
                entry.fields.append((field.group("label"), field.group("value").strip()))
                found.append(entry)
            elif entry and (not line.strip() or line.startswith(" " * max(entry.indent, 1))):
                if entry.fields and line.strip():
                    label, value = entry.fields[-1]
                    entry.fields[-1] = (label, f"{value} {line.strip()}")
                elif line.strip():
                    entry.rest = f"{entry.rest} {line.strip()}".strip()
            else:
                entry = None
    return found


def entry_groups(text):
    """The entries with fields of each section, a list per section: what a
    table was."""
    groups = {}
    for entry in entries(text):
        if entry.fields:
            groups.setdefault(entry.heading, []).append(entry)
    return list(groups.values())


ORIGINAL = ("original", "the original")


def without_original_columns(text):
    """The text with the cells of "original" columns blanked, and the
    "original" fields of list entries: they name the original tutorial's
    files, which need not exist here."""
    out, skip, field_indent = [], set(), None
    for line in text.splitlines():
        field = FIELD_RE.fullmatch(line)
        if field and field.group("label") in ORIGINAL:
            field_indent = len(field.group("indent"))
            out.append("")
            continue
        if field_indent is not None and line.strip() and \
                len(line) - len(line.lstrip(" ")) > field_indent:
            out.append("")  # the original field goes on
            continue
        field_indent = None
        if not line.startswith("|"):
            skip = set()
            out.append(line)
            continue
        cells = split_row(line)
        if not skip and not set(line) <= set("|-: "):
            heads = [c.strip().lower() for c in cells]
            skip = {i for i, h in enumerate(heads) if h in ("original", "the original")} or {-1}
        out.append("|".join("" if i in skip else c for i, c in enumerate(cells)))
    return "\n".join(out)


def named_paths(path):
    """(name, resolved path) for every repository path a README names,
    outside the "original" columns of its tables."""
    text = without_original_columns(path.read_text(encoding="utf-8"))
    found = set()
    for span in code_spans(text):
        for token in span.split():
            token = token.strip(",.;:()")
            m = PATH_RE.fullmatch(token)
            if m:
                name = m.group(1).rstrip("/")
                found.add((name, ROOT / name))
                continue
            # In a folder README, `part-16/x.tac` names a file of a subfolder.
            first = token.split("/")[0]
            if path != TOP and "/" in token and first and (path.parent / first).is_dir() \
                    and path.parent != ROOT / "docs":
                name = rel(path.parent) + "/" + token.rstrip("/")
                found.add((name, ROOT / name))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#")[0]
        resolved = (path.parent / target).resolve()
        found.add((rel(resolved), resolved))
    return found


def links_with_anchors(path):
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or "#" not in target:
            continue
        file, anchor = target.split("#", 1)
        yield target, (path.parent / file).resolve() if file else path, anchor


# --- test names --------------------------------------------------------------

QUALIFIED = re.compile(r"(?:tests\.)?(test_\w+)(?:\.([A-Z]\w*)(?:\.(test_[\w*]+))?)?")
BARE = re.compile(r"([A-Z]\w*)\.(test_[\w*]+)|([A-Z]\w*(?:Test|Tests|Spec))")
NODE_ID = re.compile(r"(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?")


def all_test_modules():
    return sorted(p.stem for p in (ROOT / "tests").glob("test_*.py"))


_modules = {}


def load(module):
    """The test module tests.<module>, imported, or None if it is not there."""
    if module not in _modules:
        try:
            _modules[module] = importlib.import_module("tests." + module)
        except ModuleNotFoundError as e:
            if e.name != "tests." + module:
                raise
            _modules[module] = None
    return _modules[module]


def has_test(module, cls=None, method=None):
    mod = load(module)
    if mod is None:
        return False
    if cls is None:
        return True
    klass = getattr(mod, cls, None)
    if not (inspect.isclass(klass) and issubclass(klass, unittest.TestCase)):
        return False
    if method is None:
        return True
    names = [n for n in dir(klass) if n.startswith("test") and callable(getattr(klass, n))]
    return bool(fnmatch.filter(names, method))


def has_node(file, *names):
    """A pytest node id `tests/x.py::test_f` or `::TestClass::test_m`, by ast
    (pytest-twisted modules are not imported outside pytest)."""
    path = ROOT / file
    if not path.is_file():
        return False
    body = ast.parse(path.read_text(encoding="utf-8")).body
    for name in names:
        if name is None:
            break
        found = [n for n in body if getattr(n, "name", None) == name]
        if not found:
            return False
        body = getattr(found[0], "body", [])
    return True


def cited_tests(path):
    """(citation, resolved?) for every test a README cites."""
    text = path.read_text(encoding="utf-8")
    modules = set(all_test_modules())
    results = []
    for _, body in sections(text):
        spans = code_spans(body)
        tokens = [t.strip(",.;:()") for span in spans for t in span.split()]
        tokens += re.findall(r"tests/(test_\w+)\.py", body)
        # Modules this section names scope its bare Class.test_method citations.
        scope = set()
        for token in tokens:
            m = QUALIFIED.fullmatch(token) or re.fullmatch(r"tests/(test_\w+)\.py", token)
            if m and m.group(1) in modules:
                scope.add(m.group(1))
            elif m and token.startswith("tests."):
                scope.add(m.group(1))  # a module that is not there yet
        for token in tokens:
            m = NODE_ID.fullmatch(token)
            if m:
                results.append((token, has_node(*m.groups())))
                continue
            m = QUALIFIED.fullmatch(token)
            if m and (token.startswith("tests.") or "." in token):
                results.append((token, has_test(*m.groups())))
                continue
            m = BARE.fullmatch(token)
            if m and (token.endswith(("Test", "Tests", "Spec")) or m.group(2)):
                cls, method = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), None)
                where = sorted(scope) or sorted(modules)
                results.append((token, any(has_test(mod, cls, method) for mod in where)))
    return results


# --- the maps ----------------------------------------------------------------

def top_text():
    return TOP.read_text(encoding="utf-8")


MAP_FIELDS = ["programs", "tests"]


def map_rows(title_prefix):
    """The rows of the maps whose heading starts with title_prefix, as
    (cells, labels): a table's row and its header, or a list entry's head,
    details (the text after the head), programs and tests, and its labels
    (None for the head). Either way cells[1] names the programs, cells[2]
    the details and cells[3] the tests."""
    rows = []
    for heading, body in sections(top_text()):
        if heading.startswith("## " + title_prefix):
            lines = [line for line in body.splitlines() if line.startswith("| ")]
            header = [c.strip().lower() for c in split_row(lines[0])] if lines else []
            for line in lines[1:]:
                rows.append(([c.strip() for c in split_row(line)], header))
            for entry in entries(f"{heading}\n{body}"):
                cells = [entry.head, entry.get("programs", ""), entry.rest, entry.tests() or ""]
                rows.append((cells, [None] + entry.labels))
    return rows


def expand(text):
    names = {name for name, _ in _paths_in(text)}
    for prefix, lo, ext, hi in RANGE_RE.findall(text):
        names |= {f"{prefix}{n}{ext}" for n in range(int(lo), int(hi) + 1)}
    return names


def _paths_in(text):
    for span in code_spans(text):
        for token in span.split():
            m = PATH_RE.fullmatch(token.strip(",.;:()"))
            if m:
                yield m.group(1).rstrip("/"), None


def programs():
    found = set()
    for d in PROGRAM_DIRS:
        base = ROOT / d
        if not base.is_dir():
            continue
        for p in base.rglob("*"):
            # A module named _x (twisted/plugins/_hardened.py) is private: a
            # helper the programs import, not a program.
            if (p.is_file() and p.suffix in PROGRAM_SUFFIXES and p.name not in NOT_PROGRAMS
                    and not p.name.startswith("_")
                    and "expected" not in p.parts and "__pycache__" not in p.parts):
                found.add(rel(p))
    return found


def nearest_readme(program):
    d = (ROOT / program).parent
    while d != ROOT:
        if (d / "README.md").is_file():
            return d / "README.md"
        d = d.parent
    return None


class TopReadmeTest(TestCase):
    """The top README is short enough to scan."""

    def test_size(self):
        lines = top_text().splitlines()
        self.assertLessEqual(len(lines), TOP_MAX_LINES)

    def test_the_two_commands_and_the_manual_equivalent(self):
        text = top_text()
        # The manual trial command is the one make test runs.
        makefile = (Path(ROOT) / "Makefile").read_text()
        trial = re.search(r"^\t\$\(STRICT\) \$\(BIN\)/(trial .*)$", makefile, re.M).group(1)
        for command in ("make demo", "make test", "python3 -m venv .venv",
                        '.venv/bin/pip install -e ".[test]"', f".venv/bin/{trial}",
                        ".venv/bin/python -m pytest tests/pytest_idiom"):
            self.assertIn(command, text)


class TutorialMapTest(TestCase):

    def test_every_part_has_a_row(self):
        parts = [int(re.match(r"(\d+)\.", cells[0]).group(1))
                 for cells, _ in map_rows("The tutorial map: the poetry")
                 if re.match(r"\d+\.", cells[0])]
        self.assertEqual(parts, list(range(1, 23)))

    def test_rows_have_four_columns_and_programs_have_tests(self):
        """A row of a table has four cells; an entry of a list has its head,
        its details after the head, and the fields programs and tests, in
        that order. A row that names programs names their tests, and, where
        the map gives details, links to them."""
        rows = map_rows("The tutorial map")
        self.assertGreater(len(rows), 40)
        for cells, labels in rows:
            self.assertEqual(len(cells), 4, cells[0])
            if labels[0] is None:
                self.assertEqual(labels[1:], MAP_FIELDS, cells[0])
                self.assertTrue(cells[2], f"entry {cells[0]!r} gives no details")
            if expand(cells[1]):
                self.assertIn("`tests.test_", cells[3], f"row {cells[0]!r} names no test")
                if labels[0] is None or labels[2] == "details":
                    self.assertRegex(cells[2], r"\]\([^)\s]+\)", f"row {cells[0]!r} links nowhere")

    def test_every_finger_step_has_a_row(self):
        steps = [cells[0] for cells, _ in map_rows("The tutorial map: The Evolution of Finger")]
        expected = [str(n) for n in range(1, 23)]
        expected[19:19] = ["19a", "19b", "19c"]
        self.assertEqual(steps[:len(expected)], expected)

    def test_every_program_is_in_a_map(self):
        """Named in a map's programs column, or under a folder the map names
        and then in that folder's README (the nearest one above it)."""
        mapped = set()
        for cells, _ in map_rows("The tutorial map"):
            mapped |= expand(cells[1])
        folders = [m for m in mapped if (ROOT / m).is_dir()]
        missing = []
        for program in sorted(programs()):
            if program in mapped:
                continue
            readme = nearest_readme(program)
            if readme and any(program.startswith(f + "/") for f in folders):
                prefix = rel(readme.parent) + "/"
                named = expand(readme.read_text(encoding="utf-8"))
                named |= {prefix + n for n in expand_relative(readme)}
                if program in named:
                    continue
            missing.append(program)
        self.assertEqual(missing, [])

    def test_range_expansion_is_real(self):
        # Guard the guard: the map's ranges expand to the numbered files.
        mapped = set()
        for cells, _ in map_rows("The tutorial map"):
            mapped |= expand(cells[1])
        for n in range(1, 13):
            self.assertIn(f"deferred-examples/defer-cancel-{n}.py", mapped)


def expand_relative(readme):
    """Names in a folder README given relative to its folder (`part-16/x.tac`)."""
    names = set()
    for span in code_spans(readme.read_text(encoding="utf-8")):
        for token in span.split():
            token = token.strip(",.;:()")
            if "/" in token and (readme.parent / token.split("/")[0]).is_dir():
                names.add(token)
    return names


class CitationsTest(TestCase):
    """Every path and every test any README cites exists."""

    def test_the_readmes_are_found(self):
        names = {rel(p) for p in readmes()}
        for expected in ("README.md", "twisted-server/README.md", "twisted-client/README.md",
                         "exercises/README.md", "docs/examples.md", "bench/README.md",
                         "finger/README.md", "writing-servers/README.md"):
            self.assertIn(expected, names)

    def test_every_path_exists(self):
        missing = []
        for readme in readmes():
            for name, resolved in named_paths(readme):
                if "*" not in name and not resolved.exists() and not made_by_a_run(name):
                    missing.append(f"{rel(readme)}: {name}")
        self.assertEqual(missing, [])

    def test_every_anchor_exists(self):
        missing = []
        for readme in readmes():
            for target, file, anchor in links_with_anchors(readme):
                text = file.read_text(encoding="utf-8")
                anchors = {slug(h) for h, _ in sections(text) if h}
                if anchor not in anchors:
                    missing.append(f"{rel(readme)}: {target}")
        self.assertEqual(missing, [])

    def test_every_cited_test_exists(self):
        count, missing = 0, []
        for readme in readmes():
            for citation, ok in cited_tests(readme):
                count += 1
                if not ok:
                    missing.append(f"{rel(readme)}: {citation}")
        self.assertGreater(count, 150)
        self.assertEqual(missing, [])

    def test_every_test_column_is_filled(self):
        """In every table with a "test" column (the maps, the faults tables,
        the examples and exercises), each row names a test, and so does each
        entry of a list that stands for such a table (a section's entries,
        when one of them has a tests field). Map rows with no program (Parts
        1, 20-22) are the only ones allowed to leave it empty."""
        empty, rows = [], 0
        for readme in readmes():
            text = readme.read_text(encoding="utf-8")
            for header, body in tables(text):
                if "test" not in header:
                    continue
                col = header.index("test")
                for cells in body:
                    rows += 1
                    cell = cells[col] if col < len(cells) else ""
                    if cited_tests_in(cell):
                        continue
                    if readme == TOP and not expand(cells[1]):
                        continue
                    empty.append(f"{rel(readme)}: {cells[0]}")
            for group in entry_groups(text):
                if not any(entry.tests() is not None for entry in group):
                    continue
                for entry in group:
                    rows += 1
                    if entry.head is None:
                        empty.append(f"{rel(readme)}: tests with no head above them in "
                                     f"{entry.heading!r}: {entry.tests()[:60]}")
                        continue
                    if cited_tests_in(entry.tests() or ""):
                        continue
                    if readme == TOP and not expand(entry.get("programs", "")):
                        continue
                    empty.append(f"{rel(readme)}: {entry.head}")
        self.assertGreater(rows, 150)
        self.assertEqual(empty, [])

    def test_faults_tables_name_their_tests(self):
        """Each group of faults (a table, or a section's list) names the
        tests of each fault: the table in a last column "test", the list in
        a tests field of every entry."""
        text = (ROOT / "twisted-server/README.md").read_text(encoding="utf-8")
        faults = text[text.index("## Faults we tested"):]
        faults = faults[:faults.index("\n## ", 1)]
        groups = [h for h, _ in tables(faults)] + entry_groups(faults)
        self.assertGreaterEqual(len(groups), 6)
        for group in groups:
            if isinstance(group[0], str):
                self.assertEqual(group[-1], "test", group)
                continue
            for entry in group:
                self.assertIn("tests", entry.labels, entry.head)


class LineLengthTest(TestCase):
    """A README is read in an editor as well as on GitHub: no line of any
    README or docs page is over 200 characters (a table whose cells need
    more becomes a list)."""

    def test_no_line_over_200_characters(self):
        long = []
        for page in pages():
            for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
                if len(line) > MAX_LINE:
                    long.append(f"{rel(page)}:{n}: {len(line)} characters")
        self.assertEqual(long, [])

    def test_every_readme_is_covered(self):
        names = {rel(p) for p in pages()}
        for expected in ("README.md", "tests/README.md", "bench/README.md", "docs/departures.md",
                         "docs/finger.md"):
            self.assertIn(expected, names)
        self.assertEqual([n for n in names if n.startswith((".", "_"))], [])


def tables(text):
    """(header cells, [row cells]) for every Markdown table in text."""
    found, header, body = [], None, []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in split_row(line)]
            if header is None:
                header = [c.lower() for c in cells]
            elif not set(line) <= set("|-: "):
                body.append(cells)
        elif header is not None:
            found.append((header, body))
            header, body = None, []
    return found


def cited_tests_in(cell):
    found = []
    for span in code_spans(cell):
        token = span.strip(",.;:()")
        if QUALIFIED.fullmatch(token) and "." in token or BARE.fullmatch(token) \
                or NODE_ID.fullmatch(token):
            found.append((token, None))
    return found


class CheckerTest(TestCase):
    """The checks above can fail."""

    def test_a_missing_test_is_found(self):
        self.assertTrue(has_test("test_readme", "CheckerTest", "test_a_missing_*"))
        self.assertFalse(has_test("test_readme", "CheckerTest", "test_nothing_like_this"))
        self.assertFalse(has_test("test_readme", "NoSuchSpec"))
        self.assertFalse(has_test("test_no_such_module"))

    def test_a_node_id_is_looked_up(self):
        self.assertTrue(has_node("tests/test_readme.py", "CheckerTest", "test_a_node_id_is_looked_up"))
        self.assertFalse(has_node("tests/test_readme.py", "test_nothing_like_this"))

    def test_only_ignored_paths_may_be_missing(self):
        self.assertTrue(made_by_a_run("twisted/plugins/dropin.cache"))
        self.assertTrue(made_by_a_run("_trial_temp/test.log"))
        self.assertFalse(made_by_a_run("twisted-server/no-such-server.py"))
        self.assertFalse(made_by_a_run("bench"))

    def test_slug(self):
        self.assertEqual(slug("### Today's client (`twisted-client/get-poetry.py`)"),
                         "todays-client-twisted-clientget-poetrypy")
        self.assertEqual(slug("## Proxy 4.0 and the hardened plugins"),
                         "proxy-40-and-the-hardened-plugins")
