"""exception.py: a callback that raises, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/exception.py.

An exception in a callback does not bring the reactor down. Twisted
catches it and reports it (on stderr, as it has no log observer), and
the reactor goes on to the next callback, which stops it.

Run: python basic-twisted/exception.py
"""

from twisted.internet import reactor


def falldown():
    raise Exception("I fall down.")


def upagain():
    print("But I get up again.")
    reactor.stop()


def main():
    reactor.callWhenRunning(falldown)
    reactor.callWhenRunning(upagain)
    print("Starting the reactor.")
    reactor.run()


if __name__ == "__main__":
    main()
