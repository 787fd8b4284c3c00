"""gen-4.py: sending values and exceptions into a generator, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/gen-4.py.

yield is an expression: gen.send(value) restarts the generator and makes
the paused yield evaluate to value, and gen.throw(exc) makes it raise exc
inside the generator, where try/except can catch it. That pair is what
lets a generator stand for a chain of callbacks and errbacks.

Run: python inline-callbacks/gen-4.py
"""


class Malfunction(Exception):
    pass


def my_generator():
    print("starting up")

    val = yield 1
    print("got:", val)

    val = yield 2
    print("got:", val)

    try:
        yield 3
    except Malfunction:
        print("malfunction!")

    yield 4

    print("done")


def main():
    gen = my_generator()
    print(next(gen))  # start the generator
    print(gen.send(10))  # send the value 10
    print(gen.send(20))  # send the value 20
    print(gen.throw(Malfunction()))  # raise an exception inside the generator
    try:
        next(gen)
    except StopIteration:
        pass


if __name__ == "__main__":
    main()
