"""pytest configuration (trial does not read this file).

pytest-twisted runs the reactor for the rest of the pytest process once one
of its tests has started it, and trial TestCases that run after that fail
("Reactor was unclean", ReactorAlreadyRunning). So the pytest-idiom tests
(tests/pytest_idiom/, which trial never collects) run after every other
test, whatever order they were collected in.
"""

PYTEST_IDIOM = "pytest_idiom"


def pytest_collection_modifyitems(session, config, items):
    trial_style = [item for item in items if PYTEST_IDIOM not in item.path.parts]
    pytest_style = [item for item in items if PYTEST_IDIOM in item.path.parts]
    items[:] = trial_style + pytest_style
