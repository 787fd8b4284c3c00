"""stack.py: the reactor beneath a callback, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/stack.py.

Prints the Python stack from inside a callback: our main() and
reactor.run() at the top, the reactor's own functions in between, and the
callback at the bottom. The reactor called us.

Run: python basic-twisted/stack.py
"""

import traceback

from twisted.internet import reactor


def stack():
    print("The python stack:")
    traceback.print_stack()
    reactor.stop()


def main():
    reactor.callWhenRunning(stack)
    reactor.run()


if __name__ == "__main__":
    main()
