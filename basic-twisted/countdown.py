"""countdown.py: a countdown with callLater, version 1.0.

Tutorial Part 3, "Our Eye-beams Begin to Twist". Original repo path:
basic-twisted/countdown.py.

reactor.callLater(seconds, f) asks the reactor to call f later. Each step
of the countdown schedules the next one, one second apart, and the last
one stops the reactor so that reactor.run() returns. Set
TUTORIAL_TIME_SCALE (a float multiplier, default 1) to shorten the
seconds, e.g. TUTORIAL_TIME_SCALE=0.01.

Run: python basic-twisted/countdown.py
"""

import os

from twisted.internet import reactor

TIME_SCALE = float(os.environ.get("TUTORIAL_TIME_SCALE", "1"))


class Countdown:
    counter = 5

    def count(self):
        if self.counter == 0:
            reactor.stop()
        else:
            print(self.counter, "...")
            self.counter -= 1
            reactor.callLater(1 * TIME_SCALE, self.count)


def main():
    reactor.callWhenRunning(Countdown().count)
    print("Start!")
    reactor.run()
    print("Stop!")


if __name__ == "__main__":
    main()
