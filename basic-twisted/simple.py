"""simple.py: the simplest Twisted program, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/simple.py.

Runs the reactor with nothing to do. reactor.run() never returns: the
reactor waits for events forever. Press Ctrl-C to stop it. (The original
prints nothing; this version says what it is doing before it starts.)

Run: python basic-twisted/simple.py
"""

from twisted.internet import reactor


def main():
    print("Running the reactor with nothing to do; press Ctrl-C to stop.")
    reactor.run()


if __name__ == "__main__":
    main()
