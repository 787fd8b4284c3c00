"""hello.py: a greeting from the reactor loop, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/hello.py.

callWhenRunning() asks the reactor to call a function once it is running,
so the greeting is printed after "Starting the reactor.", from inside the
loop. The original then kept running forever; this version stops the
reactor after the greeting so the program ends by itself.

Run: python basic-twisted/hello.py
"""

from twisted.internet import reactor


def hello():
    print("Hello from the reactor loop!")
    print("Lately I feel like I'm stuck in a rut.")
    reactor.stop()


def main():
    reactor.callWhenRunning(hello)
    print("Starting the reactor.")
    reactor.run()


if __name__ == "__main__":
    main()
