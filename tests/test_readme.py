"""The README's tutorial map cannot rot: every path it names exists, every
Part from 1 to 22 has a row, and every program in the tutorial directories
is listed in the map."""

import re

from twisted.trial.unittest import TestCase

from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
OUR_DIRS = ("poetry", "twisted-client", "twisted-server", "twisted", "deferred-examples",
            "inline-callbacks", "tests", "blocking-server", "blocking-client", "async-client",
            "basic-twisted", "exercises", "bench", "tools", "docs")
PATH_RE = re.compile(r"(?:\./)?((?:%s)/[\w./*-]*)" % "|".join(map(re.escape, OUR_DIRS)))
# `a-1.py` … `a-7.py` names the whole numbered series between them.
RANGE_RE = re.compile(r"`([\w./-]*?)(\d+)(\.py)` … `\1(\d+)\3`")
# Programs a reader runs: every one must have its line in the map.
PROGRAM_DIRS = ("twisted-client", "twisted-server", "deferred-examples", "inline-callbacks",
                "basic-twisted", "blocking-server", "blocking-client", "async-client")


def section(title):
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def map_rows():
    rows = []
    for line in section("The tutorial map").splitlines():
        if line.startswith("| ") and not line.startswith("| Part and title"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows.append(cells)
    return rows


def named_paths(text):
    """Repository paths named inside `code spans` and (links)."""
    text = re.sub(r"``.*?``", "", text)  # ``kill `cat twistd.pid` `` holds no path
    spans = re.findall(r"`([^`]+)`", text) + re.findall(r"\]\(([^)#]+)", text)
    found = set()
    for span in spans:
        for token in span.split():
            m = PATH_RE.fullmatch(token.strip(",.;:()"))
            if m:
                found.add(m.group(1).rstrip("/"))
    return found


def mapped_programs():
    names = set()
    for cells in map_rows():
        text = " ".join(cells[2:4])
        names |= named_paths(text)
        for prefix, lo, ext, hi in RANGE_RE.findall(text):
            names |= {f"{prefix}{n}{ext}" for n in range(int(lo), int(hi) + 1)}
    return names


class TutorialMapTest(TestCase):

    def test_every_part_has_a_row(self):
        parts = [int(re.match(r"(\d+)\.", cells[0]).group(1))
                 for cells in map_rows() if re.match(r"\d+\.", cells[0])]
        self.assertEqual(parts, list(range(1, 23)))

    def test_rows_have_five_columns(self):
        for cells in map_rows():
            self.assertEqual(len(cells), 5, cells[0])

    def test_every_path_in_the_readme_exists(self):
        paths = named_paths(README)
        self.assertGreater(len(paths), 60)
        missing = sorted(p for p in paths if "*" not in p and not (ROOT / p).exists())
        self.assertEqual(missing, [])

    def test_every_program_is_in_the_map(self):
        mapped = mapped_programs()
        programs = {
            str(p.relative_to(ROOT))
            for d in PROGRAM_DIRS
            for p in (ROOT / d).iterdir()
            if p.is_file() and p.suffix in (".py", ".tac", "")
        }
        self.assertEqual(sorted(programs - mapped), [])

    def test_range_expansion_is_real(self):
        # Guard the guard: the map's ranges expand to the numbered files.
        mapped = mapped_programs()
        for n in range(1, 13):
            self.assertIn(f"deferred-examples/defer-cancel-{n}.py", mapped)
