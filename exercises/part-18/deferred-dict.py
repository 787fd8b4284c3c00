"""DeferredDict -- Part 18, exercise 5.

Original: none; the exercise asks for it.

The exercise: define what a DeferredDict should mean, then write it. Ours
is DeferredList with names instead of positions:

1. DeferredDict(mapping) takes a dict of key -> Deferred and is itself a
   Deferred.
2. It fires once every Deferred in the mapping has fired -- at once if the
   mapping is empty -- with a NEW dict that has exactly the same keys, in
   the same order as the mapping (not the order they fired in); each value
   is (True, result) or (False, failure), as in a DeferredList.
3. Like a DeferredList it never fails. consumeErrors=True stops a failed
   Deferred from also reporting "Unhandled error in Deferred"; without it,
   each failure stays in its own Deferred, to be handled there.
4. The mapping is read once, when the DeferredDict is made; changing the
   caller's dict later changes nothing.
5. Every value must be a Deferred (TypeError otherwise): use succeed(x)
   for a value you already have.
6. Cancelling the DeferredDict before it has fired cancels every Deferred
   in it that has not fired yet; it then fires (it does not fail), with
   those entries as (False, CancelledError failure).

Plus one helper for the common case, gather_dict(mapping): a Deferred
that fires with {key: result} if all succeed, or fails with the first
failure (in firing order) -- dict's answer to gatherResults.

    python exercises/part-18/deferred-dict.py
"""

from twisted.internet import defer


class DeferredDict(defer.Deferred):

    def __init__(self, mapping, consumeErrors=False):
        self._keys = list(mapping)
        deferreds = [mapping[key] for key in self._keys]
        for key, d in zip(self._keys, deferreds, strict=True):
            if not isinstance(d, defer.Deferred):
                raise TypeError(f"DeferredDict value for {key!r} is not a Deferred: {d!r}")
        super().__init__(canceller=self._cancel_all)
        # The DeferredList does the waiting; we put the names back on.
        self._list = defer.DeferredList(deferreds, consumeErrors=consumeErrors)
        self._list.addCallback(lambda results: self.callback(dict(zip(self._keys, results, strict=True))))

    def _cancel_all(self, _):
        # Cancelling the inner DeferredList cancels its unfired members and
        # (being a DeferredList) makes it fire with their failures: that
        # fires us. Deferred.cancel() then sees we have fired and is done.
        self._list.cancel()


def gather_dict(mapping):
    """{key: result} if every Deferred succeeds; else the first failure."""
    keys = list(mapping)
    d = defer.gatherResults([mapping[key] for key in keys], consumeErrors=True)
    d.addCallback(lambda results: dict(zip(keys, results, strict=True)))
    # gatherResults wraps the failure in FirstError; unwrap it for callers.
    d.addErrback(lambda f: f.value.subFailure if f.check(defer.FirstError) else f)
    return d


def describe(result):
    return {key: (ok, value if ok else f"Failure({value.value!r})")
            for key, (ok, value) in result.items()}


def main():
    print("Three poems by name.")
    science, ecstasy, alla_sera = defer.Deferred(), defer.Deferred(), defer.Deferred()
    dd = DeferredDict({"science": science, "ecstasy": ecstasy, "alla-sera": alla_sera},
                      consumeErrors=True)
    dd.addCallback(lambda result: print("We got:", describe(result)))
    print("Firing alla-sera.")
    alla_sera.callback("Alla Sera text")
    print("Firing science with an error.")
    science.errback(Exception("server down"))
    print("Firing ecstasy.")
    ecstasy.callback("Ecstasy text")

    print("Empty DeferredDict:")
    DeferredDict({}).addCallback(lambda result: print("We got:", result))

    print("Cancelling a DeferredDict that is still waiting:")
    waiting = defer.Deferred()
    dd = DeferredDict({"done": defer.succeed("early"), "waiting": waiting}, consumeErrors=True)
    dd.addCallback(lambda result: print("We got:", describe(result)))
    dd.cancel()

    print("gather_dict, all good, then one failing:")
    gather_dict({"a": defer.succeed(1), "b": defer.succeed(2)}).addCallback(print)
    gather_dict({"a": defer.succeed(1), "b": defer.fail(KeyError("b"))}).addErrback(
        lambda f: print("Failed:", repr(f.value)))


if __name__ == "__main__":
    main()
