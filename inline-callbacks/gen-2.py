"""gen-2.py: driving a generator by hand, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/gen-2.py.

gen-1.py with the for loop spelled out: next() restarts the generator
until its next yield, and StopIteration says it has finished. (Python 2's
gen.next() method is the built-in next(gen) today.)

Run: python inline-callbacks/gen-2.py
"""


def my_generator():
    print("starting up")
    yield 1
    print("workin'")
    yield 2
    print("still workin'")
    yield 3
    print("done")


def main():
    gen = my_generator()
    while True:
        try:
            n = next(gen)
        except StopIteration:
            break
        else:
            print(n)


if __name__ == "__main__":
    main()
