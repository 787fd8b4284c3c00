"""One spec, many versions: one named TestCase class per row of a table.

This is the shape of Twisted's `ReactorBuilder.makeTestCaseClasses`. A spec
is a plain mixin (not a TestCase, so neither runner collects it) whose test
methods read `self.row`, and whose `rows` is the table. Each row becomes a
TestCase class named after it, so one version can be run and reported on
its own:

    class ClientSpec(VersionSpec):
        rows = (Client("Client40", ...), Client("Client50", ...))

        def test_prints_every_poem(self):
            ...  # uses self.row

    globals().update(ClientSpec.makeTestCaseClasses())

    trial tests.test_clients.Client40Spec
    python -m pytest -k Client40

A row is any object with an `id` attribute, a valid identifier such as
"Client40" or "Finger07". A new version costs a row, not a test file.

Tests that apply to some rows only go in a mixin that `mixins_for(row)`
returns for those rows, so no class carries a test that would have to be
skipped.
"""

import re

from twisted.trial.unittest import TestCase


def camel_id(name):
    """A row id from a file or table name: 'poetry-proxy-4.0.py' ->
    'PoetryProxy40', 'unknown_transform' -> 'UnknownTransform'."""
    name = re.sub(r"\.py$", "", name)
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.\s]+", name) if part)


class Row:
    """A plain table row: an id and whatever else the spec reads."""

    def __init__(self, id, **fields):
        self.id = id
        self.__dict__.update(fields)

    def __repr__(self):
        return f"Row({self.id!r})"


class VersionSpec:
    """Mixin for a spec run once per row of `rows`."""

    rows = ()
    # The generated class is named row.id + suffix, e.g. Client40Spec.
    suffix = "Spec"
    # Set on each generated class: the row it tests.
    row = None

    @classmethod
    def mixins_for(cls, row):
        """Extra base classes (mixins of test methods) for one row's class."""
        return ()

    @classmethod
    def makeTestCaseClasses(cls):
        """A dict of class name -> TestCase subclass, one per row, for the
        test module's globals()."""
        classes = {}
        for row in cls.rows:
            name = row.id + cls.suffix
            if not name.isidentifier():
                raise ValueError(f"row id {row.id!r} does not make a class name")
            if name in classes:
                raise ValueError(f"two rows of {cls.__name__} are named {row.id!r}")
            classes[name] = type(name, (*cls.mixins_for(row), cls, TestCase), {
                "row": row,
                "__module__": cls.__module__,
                "__qualname__": name,
            })
        return classes
