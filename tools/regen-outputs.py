"""regen-outputs.py: run every checked example and store its output.

Usage (from anywhere):
    python tools/regen-outputs.py            rewrite every expected/*.txt
    python tools/regen-outputs.py SCRIPT...  only these, e.g. deferred-examples/defer-4.py
    python tools/regen-outputs.py --check    write nothing; list what differs, exit 1 if any

Examples are run exactly as tests/test_outputs.py runs them (same runner,
environment and normalizer, from runner/outputs.py), so a file written
here is what the test compares against. Stored files whose script is gone
are removed. Review the diff before committing: the test also checks the
outputs quoted in the tutorial text, so a regenerated file cannot drift
from the text unnoticed.
"""

import argparse
import sys
from pathlib import Path

# The repository root must be importable (it is, with the editable install;
# this also covers a plain checkout).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner import outputs as outputs_lib  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT",
                        help="repo-relative example paths (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="only report files that differ; exit 1 if any")
    args = parser.parse_args()

    known = outputs_lib.scripts()
    chosen = args.scripts or known
    unknown = [s for s in chosen if s not in known]
    if unknown:
        parser.error("not a checked example: " + ", ".join(unknown))

    futures = outputs_lib.run_all(chosen)
    differ = []
    for rel in chosen:
        text = outputs_lib.render(rel, *futures[rel].result())
        target = outputs_lib.expected_path(rel)
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            continue
        differ.append(rel)
        if args.check:
            print("differs:", rel)
        else:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print("wrote", target.relative_to(outputs_lib.ROOT))

    if not args.scripts:
        for rel in sorted(set(outputs_lib.stored()) - set(known)):
            stale = outputs_lib.expected_path(rel)
            differ.append(rel)
            if args.check:
                print("stale:", stale.relative_to(outputs_lib.ROOT))
            else:
                stale.unlink()
                print("removed", stale.relative_to(outputs_lib.ROOT))

    print(f"{len(chosen)} examples, {len(differ)} changed"
          + (" (not written)" if args.check else ""))
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
