"""simple-poll.py: simple.py with the poll reactor, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/simple-poll.py.

Twisted has several reactor implementations. To pick one, install it
before anything imports twisted.internet.reactor (importing the reactor
installs the platform default). This one uses poll(); it too runs
forever, press Ctrl-C to stop it.

Run: python basic-twisted/simple-poll.py
"""

from twisted.internet import pollreactor

pollreactor.install()

from twisted.internet import reactor  # noqa: E402  (must come after install)


def main():
    print("Running the", type(reactor).__name__,
          "with nothing to do; press Ctrl-C to stop.")
    reactor.run()


if __name__ == "__main__":
    main()
