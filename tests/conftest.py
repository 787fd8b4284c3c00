"""pytest configuration (trial does not read this file).

pytest-twisted runs the reactor for the rest of the pytest process once one
of its tests has started it, and trial TestCases that run after that fail
("Reactor was unclean", ReactorAlreadyRunning). So the pytest-idiom tests
(tests/pytest_idiom/, which trial never collects) run after every other
test, whatever order they were collected in, and nothing else may be a plain
test function.
"""

import pytest

PYTEST_IDIOM = "pytest_idiom"


def pytest_collection_modifyitems(session, config, items):
    trial_style = [item for item in items if PYTEST_IDIOM not in item.path.parts]
    pytest_style = [item for item in items if PYTEST_IDIOM in item.path.parts]
    # Outside tests/pytest_idiom every test is a trial TestCase method. A
    # plain function there (say a helper named test_...) would be run by
    # pytest-twisted in the reactor, in the middle of the TestCases, and
    # leave every later one failing with "Reactor was unclean".
    stray = [item.nodeid for item in trial_style if getattr(item, "cls", None) is None]
    if stray:
        raise pytest.UsageError(
            "plain test functions outside tests/pytest_idiom (only trial TestCases "
            "belong there; rename helpers so they do not start with test_): "
            + ", ".join(stray))
    items[:] = trial_style + pytest_style
