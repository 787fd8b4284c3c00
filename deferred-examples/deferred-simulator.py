"""deferred-simulator.py: a Deferred simulator.

Tutorial Part 9, "A Second Interlude, Deferred". Original repo path:
twisted-deferred/deferred-simulator.py.

You describe a Deferred's chain as callback/errback pairs, one pair a line;
the simulator builds that chain on a real Deferred, fires it twice (once
with d.callback() and once with d.errback()) and draws the chain with what
happened at each stage: which of the pair ran, what it was given and what
it passed on. Each of CALLBACK and ERRBACK is one of

    return VALUE   (or r VALUE)   return VALUE
    fail VALUE     (or f VALUE)   raise Exception(VALUE)
    passthru       (or p)         return what it was given

where VALUE is a word of letters and digits, at most 10 long. In the
drawing, a value followed by * is a Failure: value* == Failure(Exception(value)).
Text after # is a comment. A blank line (or the end of the input) ends the
chain.

    python deferred-examples/deferred-simulator.py
    python deferred-examples/deferred-simulator.py 'r good f bad' 'p r fixed' 'f oops p'
    python deferred-examples/deferred-simulator.py --narrow < my-chain.txt

Run with no pairs and a terminal, it explains the syntax and asks for
them. --narrow draws the chain and the two firings one below the other,
for a narrow terminal.

Departures from the text: the pairs may also be given as arguments (one
argument a pair) or piped in, so a run can be repeated; the stored output
of the second command above is checked by the tests. A line that is not a
pair is one line on stderr, and exit status 2 unless you are typing (then
you are asked again). The failure left at the end of a chain is kept by
the simulator, so Twisted's "Unhandled error in Deferred" report, which it
would cause, is described in the drawing instead of printed.
"""

import argparse
import re
import sys

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

INITIAL = "initial"
MAX_VALUE = 10
NAMES = {"r": "return", "return": "return", "f": "fail", "fail": "fail",
         "p": "passthru", "passthru": "passthru"}

HOW_TO = """\
Enter the Deferred's callback/errback pairs, one pair a line:

    CALLBACK ERRBACK

where each of CALLBACK and ERRBACK is one of

    return VALUE    (or: r VALUE)
    fail VALUE      (or: f VALUE)
    passthru        (or: p)

and VALUE is letters and digits, at most 10 of them. For example:

    r good f bad    # the callback returns 'good', the errback raises Exception('bad')
    f googly p      # the callback raises Exception('googly'), the errback passes its failure on

A blank line ends the chain. The drawing shows the chain next to what happens when it is fired with
d.callback() and with d.errback(); a value followed by * is a Failure: value* == Failure(Exception(value)).
"""


class BadInput(Exception):
    """A line that does not describe a callback/errback pair."""


class Behaviour:
    """One callback or errback: return a value, fail with one, or pass on
    what it was given."""

    def __init__(self, style, value=None):
        self.style = style
        self.value = value

    def __str__(self):
        return self.style if self.value is None else f"{self.style} {self.value}"

    def __call__(self, result):
        if self.style == "return":
            return self.value
        if self.style == "fail":
            raise Exception(self.value)
        return result  # passthru: a Failure stays a Failure


def parse_behaviour(words):
    """Take one behaviour off the front of `words`."""
    if not words:
        raise BadInput("a pair needs a callback and an errback")
    word = words.pop(0)
    style = NAMES.get(word.lower())
    if style is None:
        raise BadInput(f"{word!r} is not return, fail or passthru (r, f, p)")
    if style == "passthru":
        return Behaviour(style)
    if not words:
        raise BadInput(f"{style} needs a VALUE")
    value = words.pop(0)
    if not re.fullmatch(rf"[A-Za-z0-9]{{1,{MAX_VALUE}}}", value):
        raise BadInput(f"{value!r} is not a VALUE: letters and digits only, at most {MAX_VALUE}")
    return Behaviour(style, value)


def parse_pair(line):
    """'r good f bad' -> (callback, errback); None for a line with nothing
    but a comment."""
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    callback = parse_behaviour(words)
    errback = parse_behaviour(words)
    if words:
        raise BadInput(f"unexpected {' '.join(words)!r} after the pair")
    return callback, errback


def shown(result):
    """A value as the drawing shows it: value* for a Failure."""
    if isinstance(result, Failure):
        return f"{result.getErrorMessage()}*"
    return str(result)


class Firing:
    """What happened when the chain was fired one way: for each stage,
    which of its pair ran, what it was given and what it returned."""

    def __init__(self, how, first):
        self.how = how          # d.callback(initial) or d.errback(initial*)
        self.first = first      # what the Deferred was fired with
        self.steps = []         # (which, given, returned), one per stage
        self.result = None      # what is left at the end of the chain


def fire(pairs, with_failure):
    """Build the chain on a real Deferred, fire it, and record it."""
    d = Deferred()
    for callback, errback in pairs:
        d.addCallbacks(recorded("callback", callback), recorded("errback", errback))
    first = Failure(Exception(INITIAL)) if with_failure else INITIAL
    firing = Firing(f"d.errback({shown(first)})" if with_failure else f"d.callback({INITIAL})",
                    first)

    def last(result):
        firing.result = result
        # Kept here, so no "Unhandled error in Deferred" when d is collected.
        return None

    d.addBoth(last)
    _current.append(firing)
    try:
        if with_failure:
            d.errback(first)
        else:
            d.callback(first)
    finally:
        _current.pop()
    return firing


# The firing being recorded (a stack, though only one fires at a time).
_current = []


def recorded(which, behaviour):
    """behaviour, as the callback or errback of one stage, noting what it
    was given and what it passed on in the current firing."""
    def run(result):
        try:
            returned = behaviour(result)
        except Exception:
            _current[-1].steps.append((which, shown(result), shown(Failure())))
            raise
        _current[-1].steps.append((which, shown(result), shown(returned)))
        return returned
    return run


def chain_lines(pairs):
    """The chain as boxes: a header, a blank line, then a rule and a box
    line a stage, a closing rule and a blank line."""
    width = max([len(str(b)) for pair in pairs for b in pair] + [len("callback")]) + 2
    rule = "   +" + ("-" * width + "+") * 2
    lines = [f"    {'callback'.center(width)} {'errback'.center(width)}", "", rule]
    for n, (callback, errback) in enumerate(pairs, 1):
        lines.append(f"{n:2} | {str(callback).ljust(width - 1)}| {str(errback).ljust(width - 1)}|")
        lines.append(rule)
    return lines + [""]


def firing_lines(firing, numbered=False):
    """One firing, line for line beside chain_lines: how it was fired, the
    value it was fired with, then at each stage which of the pair ran and
    what it passed on, and what is left at the end."""
    lines = [firing.how, shown(firing.first), "  |"]
    for n, (which, _given, returned) in enumerate(firing.steps, 1):
        stage = f"{n}: " if numbered else ""
        lines += [f"{stage}{which} -> {returned}", "  |"]
    end = shown(firing.result)
    if isinstance(firing.result, Failure):
        end += "  (unhandled)"
    return lines + [end]


LEGEND = [
    "A value followed by * is a Failure: value* == Failure(Exception(value)).",
    'A failure left at the end of the chain (unhandled) is what Twisted reports as "Unhandled',
    'error in Deferred" when the Deferred is garbage collected.',
]


def draw(pairs, narrow=False):
    """The drawing, as a list of lines."""
    chain = chain_lines(pairs)
    firings = [firing_lines(fire(pairs, with_failure), numbered=narrow)
               for with_failure in (False, True)]
    # Narrow: one below the other. Wide: side by side, line for line, so
    # each stage's box faces what happened there.
    groups = [[chain], [firings[0]], [firings[1]]] if narrow else [[chain, *firings]]
    out = []
    for group in groups:
        widths = [max(map(len, column)) + 6 for column in group]
        for row in zip(*group, strict=True):
            out.append("".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        while out[-1] == "":
            out.pop()
        out.append("")
    return out + LEGEND


def read_pairs(stream, interactive):
    """Pairs from `stream` until a blank line or the end; a bad line is a
    usage error, or, when typing, a message and another try."""
    pairs = []
    number = 0
    while True:
        if interactive:
            print(f"pair {len(pairs) + 1}> ", end="", flush=True)
        line = stream.readline()
        number += 1
        if not line.strip():
            return pairs
        try:
            pair = parse_pair(line)
        except BadInput as e:
            if interactive:
                print(f"Not a pair: {e}. Try again.", flush=True)
                continue
            raise BadInput(f"line {number}: {e}") from None
        if pair is not None:
            pairs.append(pair)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A Deferred simulator: draw a callback/errback chain and fire it both ways.",
        epilog=HOW_TO, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pairs", metavar="PAIR", nargs="*",
                        help="a callback/errback pair, such as 'r good f bad' "
                             "(default: read them from stdin)")
    parser.add_argument("--narrow", action="store_true",
                        help="draw the chain and the two firings one below the other")
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    try:
        if args.pairs:
            pairs = []
            for n, text in enumerate(args.pairs, 1):
                pair = parse_pair(text)
                if pair is None:
                    raise BadInput(f"argument {n} holds no pair")
                pairs.append(pair)
        else:
            interactive = sys.stdin.isatty()
            if interactive:
                print(HOW_TO)
            pairs = read_pairs(sys.stdin, interactive)
    except BadInput as e:
        parser.error(str(e))
    except KeyboardInterrupt:
        print()
        sys.exit(130)
    if not pairs:
        print("No callback/errback pairs: nothing to simulate.")
        return
    for line in draw(pairs, args.narrow):
        print(line)


if __name__ == "__main__":
    main()
