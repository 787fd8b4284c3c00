"""gen-3.py: several generators interleaved, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/gen-3.py.

A tiny round-robin "scheduler" restarts three generators in turn, so their
steps interleave like independent tasks in a reactor, each keeping its own
local variables from one step to the next.

Run: python inline-callbacks/gen-3.py
"""


def my_generator(name, steps):
    print(name, "starting up")
    for i in range(1, steps + 1):
        yield i
        print(name, "step", i, "done")
    print(name, "finished")


def main():
    tasks = [my_generator("A", 2), my_generator("B", 3), my_generator("C", 1)]
    while tasks:
        # Restart each task once; drop those that have finished.
        for gen in list(tasks):
            try:
                next(gen)
            except StopIteration:
                tasks.remove(gen)


if __name__ == "__main__":
    main()
