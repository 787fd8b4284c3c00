"""gen-1.py: a generator in a for loop, version 1.0.

Tutorial Part 17, "Just Another Way to Spell 'Callback'". Original repo
path: inline-callbacks/gen-1.py.

A generator producing 1, 2, 3. Its own prints interleave with the loop's:
the generator runs only while the loop asks it for the next value.

Run: python inline-callbacks/gen-1.py
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
    for n in my_generator():
        print(n)


if __name__ == "__main__":
    main()
