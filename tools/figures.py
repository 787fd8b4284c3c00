"""make figures: Part 1's three models, drawn from a real run of Part 2's clients.

Part 1 of the poetry tutorial draws three models by hand: the synchronous
(tasks one after another), the threaded (tasks side by side, one thread
each) and the asynchronous (tasks interleaved in one thread). Part 2 makes
them real against slow servers. This draws what the real clients did:

1. starts three blocking slow servers (blocking-server/slowpoetry.py), each
   at its own pace, so that the tasks differ in length;
2. runs, one after another, with POETRY_TRACE set:
     synchronous   blocking-client/get-poetry.py
     threaded      blocking-client/get-poetry-threaded.py (beyond the text)
     asynchronous  async-client/get-poetry.py
     twisted       twisted-client/get-poetry-2.0.py (Part 5: the same model)
   each client's trace holds, for every chunk, the task and when its
   handling began and ended;
3. checks that each trace shows its model (see `check`), or stops: a
   picture of a run that went wrong would mislead;
4. draws, with matplotlib (the `bench` extra), one PNG per model, time
   across and one lane per task, and models.png with all four runs on one
   time axis, each with the total time its client printed.

It writes to docs/figures/ (or --out) the four PNGs, each run's trace
(MODEL.jsonl) and run.json (the servers, the commands, what each client
printed), and nothing there changes unless the whole run succeeds.

    make figures                              # installs matplotlib, then this
    python tools/figures.py --out /tmp/figs   # somewhere else
    python tools/figures.py --redraw          # draw again from the traces there
    python tools/figures.py --tiny --out DIR  # two servers, a few chunks (the smoke test)
"""

import argparse
import datetime
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections import namedtuple
from pathlib import Path

# The repository root must be importable (it is, with the editable install;
# this also covers a plain checkout).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The same runner the tests, the demo and the bench use (it imports no reactor).
from runner.environment import child_env  # noqa: E402
from runner.paths import PYTHON, script_argv  # noqa: E402
from runner.processes import Programs  # noqa: E402

OUT = ROOT / "docs" / "figures"

# --- the trace ---------------------------------------------------------------

# One line of a client's POETRY_TRACE file: a chunk of task `task` from
# `server` ("HOST:PORT"), whose handling began at `start` and ended at `end`,
# in seconds from the client's start; `bytes` is its size.
Chunk = namedtuple("Chunk", "task server start end bytes")

# Each field, the JSON types it may have, and what to call them in an error.
NUMBER = ((int, float), "a number")
FIELDS = {"task": (int, "a whole number"), "server": (str, "a string"), "start": NUMBER,
          "end": NUMBER, "bytes": (int, "a whole number")}


def read_trace(lines):
    """The chunks of a trace (an iterable of JSON lines), in file order.
    Anything else is a ValueError that names the line."""
    chunks = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise ValueError(f"line {n}: not JSON ({e})") from None
        if not isinstance(record, dict):
            raise ValueError(f"line {n}: not a JSON object")
        for name, (types, what) in FIELDS.items():
            value = record.get(name)
            if not isinstance(value, types) or isinstance(value, bool):
                raise ValueError(f"line {n}: {name!r} is missing or not {what}: {line.strip()}")
        chunk = Chunk(**{name: record[name] for name in FIELDS})
        if chunk.task < 1 or chunk.bytes < 1:
            raise ValueError(f"line {n}: task and bytes must be at least 1: {line.strip()}")
        if not 0 <= chunk.start <= chunk.end:
            raise ValueError(f"line {n}: needs 0 <= start <= end: {line.strip()}")
        chunks.append(chunk)
    return chunks


# --- from a trace to lanes ---------------------------------------------------

# One lane per task: its chunks' blocks as (start, width), and the span from
# the start of its first chunk to the end of its last.
Lane = namedtuple("Lane", "task server blocks begin end")


def lanes(chunks):
    """The lanes of a trace, in task order, each block in time order."""
    by_task = {}
    for chunk in chunks:
        by_task.setdefault(chunk.task, []).append(chunk)
    result = []
    for task in sorted(by_task):
        mine = sorted(by_task[task], key=lambda c: c.start)
        servers = {c.server for c in mine}
        if len(servers) != 1:
            raise ValueError(f"task {task} has chunks from {len(servers)} servers: "
                             f"{sorted(servers)}")
        result.append(Lane(task, mine[0].server, [(c.start, c.end - c.start) for c in mine],
                           mine[0].start, max(c.end for c in mine)))
    return result


# --- what each picture must show ---------------------------------------------

def at_once(chunks):
    """Pairs of chunks whose handling overlapped in time (one began before
    the other ended)."""
    ordered = sorted(chunks, key=lambda c: (c.start, c.end))
    pairs = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.start >= a.end:
                break
            pairs.append((a, b))
    return pairs


def most_in_progress(lanes_):
    """The largest number of tasks in progress at one moment (a task is in
    progress from the start of its first chunk to the end of its last)."""
    # At equal times an end comes before a start: touching spans do not overlap.
    events = sorted([(lane.begin, 1) for lane in lanes_] + [(lane.end, -1) for lane in lanes_])
    count = most = 0
    for _, step in events:
        count += step
        most = max(most, count)
    return most


def interleaved(chunks):
    """Whether, in the order chunks were handled, some task has another
    task's chunk between two of its own."""
    order = [c.task for c in sorted(chunks, key=lambda c: c.start)]
    first = {t: order.index(t) for t in set(order)}
    last = {t: len(order) - 1 - order[::-1].index(t) for t in set(order)}
    return any(first[t] < i < last[t] for i, u in enumerate(order) for t in first if t != u)


def check(model, chunks):
    """What is wrong with a trace as a picture of `model`: a list of
    sentences, empty when the trace shows the model's point.

    synchronous:  no two chunks handled at once, and the tasks one after
                  another, in order (task 1's last chunk before task 2's
                  first, ...);
    threaded:     every task in progress at the same time;
    asynchronous: every task in progress at the same time, chunks of the
                  tasks interleaved, and never two chunks handled at once.
    """
    found = lanes(chunks)
    problems = []
    if len(found) < 2:
        return [f"{len(found)} task(s) in the trace: a picture needs at least two"]
    overlapping = at_once(chunks)
    most = most_in_progress(found)
    if model == "synchronous":
        if overlapping:
            a, b = overlapping[0]
            problems.append(f"{len(overlapping)} pair(s) of chunks handled at once, such as "
                            f"task {a.task} at {a.start:.6f}-{a.end:.6f} s and task {b.task} "
                            f"at {b.start:.6f}-{b.end:.6f} s")
        for before, after in itertools.pairwise(found):
            if after.begin < before.end:
                problems.append(f"task {after.task} began at {after.begin:.6f} s, before "
                                f"task {before.task} ended at {before.end:.6f} s")
    elif model in ("threaded", "asynchronous"):
        if most < len(found):
            problems.append(f"at most {most} of the {len(found)} tasks in progress at once")
        if model == "asynchronous":
            if not interleaved(chunks):
                problems.append("the tasks' chunks did not interleave")
            if overlapping:
                a, b = overlapping[0]
                problems.append(f"{len(overlapping)} pair(s) of chunks handled at once, such "
                                f"as tasks {a.task} and {b.task} at {b.start:.6f} s")
    else:
        raise ValueError(f"no such model: {model!r}")
    return problems


# --- the run -----------------------------------------------------------------

# A slow server: its poem, and its pace (bytes per chunk, seconds between).
Server = namedtuple("Server", "poem num_bytes delay")

# Three paces, so the tasks take different times (about 2.8 s, 1.3 s and
# 2.4 s): the synchronous client needs their sum, the others the longest.
SERVERS = [Server("ecstasy.txt", 100, 0.1), Server("fascination.txt", 30, 0.07),
           Server("science.txt", 40, 0.15)]
# The smoke test's run: two servers, two chunks each (enough to interleave).
TINY = [Server("science.txt", 400, 0.1), Server("fascination.txt", 400, 0.1)]

# model, client, what the picture is titled, and how a chunk's handling is timed.
Model = namedtuple("Model", "name rel title checked_as handling")
MODELS = [
    Model("synchronous", "blocking-client/get-poetry.py", "The synchronous model",
          "synchronous", "from the recv() that waits for it to the chunk in hand"),
    Model("threaded", "blocking-client/get-poetry-threaded.py", "The threaded model",
          "threaded", "from the recv() that waits for it to the chunk in hand, "
          "each task in a thread of its own"),
    Model("asynchronous", "async-client/get-poetry.py", "The asynchronous model",
          "asynchronous", "from select() naming its socket to the chunk reported; "
          "the waiting is done in select(), for all tasks at once"),
    Model("twisted", "twisted-client/get-poetry-2.0.py",
          "The asynchronous model, with Twisted (Part 5)", "asynchronous",
          "one dataReceived call; the reactor does the waiting"),
]
PICTURES = ["synchronous.png", "threaded.png", "asynchronous.png", "models.png"]

GOT_RE = re.compile(r"^Got (\d+) poems in (\d+):(\d\d):(\d\d(?:\.\d+)?)$", re.M)


def seconds(got):
    """The total time in a client's last line ("Got 3 poems in 0:00:06.563688")."""
    return int(got.group(2)) * 3600 + int(got.group(3)) * 60 + float(got.group(4))


def shown(argv):
    """A command line as a reader would type it from the repository root."""
    argv = list(map(str, argv))
    # Leave out the runner's -W flags (one of them holds spaces), pair by pair.
    kept = [arg for i, arg in enumerate(argv)
            if arg != "-W" and (i == 0 or argv[i - 1] != "-W")]
    return " ".join(kept).replace(PYTHON, "python").replace(str(ROOT) + "/", "")


def run_clients(servers, workdir):
    """Start the servers, run each model's client against them in turn with
    its trace on; returns the run record (the dict written to run.json)."""
    expected = max((-(-len((ROOT / "poetry" / s.poem).read_bytes()) // s.num_bytes) - 1)
                   * s.delay for s in servers)
    timeout = 3 * expected * len(servers) + 30
    record = {
        "command": "python " + " ".join([f"tools/{Path(__file__).name}", *sys.argv[1:]]),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "load_before": round(os.getloadavg()[0], 2),
        "servers": [],
        "runs": [],
    }
    with Programs(workdir) as progs:
        specs = []
        for i, s in enumerate(servers, 1):
            argv = script_argv("blocking-server/slowpoetry.py", "--port", 0, "--num-bytes",
                               s.num_bytes, "--delay", s.delay, f"poetry/{s.poem}")
            specs.append((f"server-{i}", argv, {}))
        try:
            started = progs.start_all(specs)
        except RuntimeError as e:
            raise SystemExit(f"figures: a slow server did not start: {e}") from None
        for s, prog in zip(servers, started, strict=True):
            record["servers"].append({**s._asdict(), "port": prog.port,
                                      "command": shown(prog.argv)})
        ports = [prog.port for prog in started]
        for model in MODELS:
            trace = workdir / f"{model.name}.jsonl"
            argv = script_argv(model.rel, *ports)
            print(f"==> {model.name}: {shown(argv)}", flush=True)
            try:
                done = subprocess.run(argv, cwd=ROOT, env=child_env({"POETRY_TRACE": str(trace)}),
                                      capture_output=True, timeout=timeout,
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise SystemExit(f"figures: {model.rel} took more than {timeout:.0f} s") from None
            out = done.stdout.decode("utf-8", "replace")
            err = done.stderr.decode("utf-8", "replace")
            got = GOT_RE.search(out)
            if done.returncode != 0 or err or got is None:
                raise SystemExit(f"figures: {model.rel} exited {done.returncode}:\n{out}{err}")
            print(got.group(0), flush=True)
            record["runs"].append({"model": model.name, "client": model.rel,
                                   "command": shown(argv), "said": got.group(0),
                                   "poems": int(got.group(1)), "total": seconds(got)})
    record["load_after"] = round(os.getloadavg()[0], 2)
    return record


def load_run(folder):
    """run.json and every model's trace from a folder: (record, {model: chunks})."""
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    traces = {}
    for model in MODELS:
        path = folder / f"{model.name}.jsonl"
        with open(path, encoding="utf-8") as f:
            try:
                traces[model.name] = read_trace(f)
            except ValueError as e:
                raise SystemExit(f"figures: {path}: {e}") from None
    return record, traces


def check_all(traces):
    """Stop, saying why, unless every trace shows its model."""
    wrong = []
    for model in MODELS:
        wrong += [f"{model.rel} ({model.name}): {p}" for p in check(model.checked_as,
                                                                    traces[model.name])]
    if wrong:
        raise SystemExit("figures: the run does not show the models (a busy machine?); "
                         "nothing was written:\n  " + "\n  ".join(wrong))


# --- drawing -----------------------------------------------------------------

# Okabe and Ito's colours, told apart with any colour vision; one per server.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]
DPI = 120


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or None when the
    `bench` extra is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class Scene:
    """What a picture needs to know of a run: each server's label and
    colour, by its HOST:PORT."""

    def __init__(self, record):
        self.servers = {}
        for i, s in enumerate(record["servers"]):
            pace = f"{s['num_bytes']} bytes every {s['delay']:g} s"
            self.servers[f"127.0.0.1:{s['port']}"] = (i, s["poem"], pace, COLORS[i % len(COLORS)])
        self.totals = {r["model"]: r["total"] for r in record["runs"]}
        self.poems = {r["model"]: r["poems"] for r in record["runs"]}

    def color(self, lane):
        return self.servers[lane.server][3]

    def label(self, lane):
        _, poem, pace, _ = self.servers[lane.server]
        return f"Task {lane.task}: {poem}\n{pace}"


def draw_blocks(ax, blocks, y, color, px):
    """One lane's blocks at height y; returns how many were widened. A block
    narrower than 2 pixels (a chunk handled in microseconds) is drawn 2 or 3
    pixels wide, crisp; wider ones have a thin white edge, so that each
    chunk shows."""
    wide = [b for b in blocks if b[1] >= 4 * px]
    thin = [(start, max(width, 2.5 * px)) for start, width in blocks if width < 4 * px]
    if wide:
        ax.broken_barh(wide, (y - 0.36, 0.72), facecolors=color, edgecolors="white",
                       linewidth=0.6)
    if thin:
        ax.broken_barh(thin, (y - 0.36, 0.72), facecolors=color, linewidth=0,
                       antialiased=False)
    return sum(1 for _, width in blocks if width < 2 * px)


WIDENED = "Blocks shorter than 2 pixels (chunks handled in microseconds) are widened to show."


def pixel(ax, fig, right):
    """How many seconds one pixel of the axes spans, for an axis 0..right."""
    width = ax.get_position().width * fig.get_figwidth() * fig.dpi
    return right / width


def mark_total(ax, total, poems, right, y):
    """A dashed line at the total time the client printed, and its words
    just right of it (the axis leaves room there: no chunk comes after)."""
    # Under the blocks: the last chunk ends about when the client prints.
    ax.axvline(total, color="0.25", linestyle="--", linewidth=1, zorder=0.5)
    ax.text(total + 0.008 * right, y, f"Got {poems} poems\nin {total:.2f} s", ha="left",
            va="center", fontsize=9, color="0.15")


def draw_model(plt, scene, model, chunks, path, one_thread):
    """One model's picture: a lane per task and, for the one-thread models,
    a lane for the program's single thread, showing every chunk in it."""
    found = lanes(chunks)
    total = scene.totals[model.name]
    right = 1.2 * max(total, max(lane.end for lane in found))
    rows = len(found) + (1 if one_thread else 0)
    # Inches: a title and two lines of caption above, the time axis below.
    fig, ax = plt.subplots(figsize=(10, 1.45 + 0.62 * rows), dpi=DPI)
    fig.subplots_adjust(left=0.2, right=0.98, top=1 - 0.82 / fig.get_figheight(),
                        bottom=0.5 / fig.get_figheight())
    # A little room left of zero, so that a chunk at 0 s is not hidden by the axis.
    ax.set_xlim(-0.01 * right, right)
    ax.set_ylim(rows - 0.5, -0.5)
    px = pixel(ax, fig, right)
    ticks, labels = [], []
    widened = 0
    for y, lane in enumerate(found):
        widened += draw_blocks(ax, lane.blocks, y, scene.color(lane), px)
        ticks.append(y)
        labels.append(scene.label(lane))
    if one_thread:
        y = len(found)
        ax.axhline(y - 0.5, color="0.6", linewidth=0.8)
        for lane in found:
            draw_blocks(ax, lane.blocks, y, scene.color(lane), px)
        ticks.append(y)
        labels.append("the one thread:\nevery chunk")
    ax.set_yticks(ticks, labels, fontsize=9)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("seconds since the client started", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    mark_total(ax, total, scene.poems[model.name], right, (rows - 1) / 2)
    fig.suptitle(f"{model.title}: {model.rel}", x=0.02, ha="left", fontsize=12,
                 fontweight="bold", y=1 - 0.08 / fig.get_figheight())
    caption = f"A block is one chunk, {model.handling}." + ("\n" + WIDENED if widened else "")
    fig.text(0.02, 1 - 0.34 / fig.get_figheight(), caption, fontsize=9, color="0.25",
             va="top", linespacing=1.5)
    fig.savefig(path)
    plt.close(fig)


def draw_models(plt, scene, traces, path):
    """The four runs on one time axis, each with the total its client printed."""
    right = 1.15 * max(max(scene.totals.values()),
                       max(c.end for chunks in traces.values() for c in chunks))
    heights = [len(lanes(traces[m.name])) for m in MODELS]
    fig, axes = plt.subplots(len(MODELS), 1, sharex=True, dpi=DPI,
                             figsize=(10, 1.9 + sum(0.42 * h + 0.55 for h in heights)),
                             gridspec_kw={"height_ratios": heights})
    fig.subplots_adjust(left=0.14, right=0.98, top=1 - 1.35 / fig.get_figheight(),
                        bottom=0.55 / fig.get_figheight(), hspace=0.55)
    px = pixel(axes[0], fig, right)
    for ax, model in zip(axes, MODELS, strict=True):
        found = lanes(traces[model.name])
        for y, lane in enumerate(found):
            draw_blocks(ax, lane.blocks, y, scene.color(lane), px)
        ax.set_xlim(-0.01 * right, right)
        ax.set_ylim(len(found) - 0.5, -0.5)
        ax.set_yticks(range(len(found)), [f"Task {lane.task}" for lane in found], fontsize=9)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_title(f"{model.title}: {model.rel}", loc="left", fontsize=10)
        mark_total(ax, scene.totals[model.name], scene.poems[model.name], right,
                   (len(found) - 1) / 2)
    axes[-1].set_xlabel("seconds since the client started", fontsize=9)
    fig.suptitle(f"The same {len(scene.servers)} slow servers, {len(MODELS)} clients: "
                 "the time each took", x=0.02, ha="left", fontsize=12, fontweight="bold",
                 y=1 - 0.1 / fig.get_figheight())
    fig.text(0.02, 1 - 0.42 / fig.get_figheight(),
             "A block is one chunk handled. " + WIDENED, fontsize=9, color="0.25")
    handles = [plt.Rectangle((0, 0), 1, 1, color=color)
               for _, _, _, color in sorted(scene.servers.values())]
    names = [f"{poem}, {pace}" for _, poem, pace, _ in sorted(scene.servers.values())]
    fig.legend(handles, names, loc="upper left", ncol=len(names), frameon=False, fontsize=9,
               bbox_to_anchor=(0.015, 1 - 0.62 / fig.get_figheight()), handlelength=1.2)
    fig.savefig(path)
    plt.close(fig)


def draw(plt, record, traces, folder):
    scene = Scene(record)
    by_name = {m.name: m for m in MODELS}
    for name, one_thread in (("synchronous", True), ("threaded", False),
                             ("asynchronous", True)):
        draw_model(plt, scene, by_name[name], traces[name], folder / f"{name}.png", one_thread)
    draw_models(plt, scene, traces, folder / "models.png")


# --- main --------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the Part 2 clients against slow servers with their traces on, "
                    "and draw Part 1's models from what they did.",
        epilog="`make figures` installs matplotlib and runs this.")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="where the pictures, traces and run.json go "
                             "(default: docs/figures/)")
    parser.add_argument("--tiny", action="store_true",
                        help="two servers, two chunks each: a run of about a second")
    parser.add_argument("--redraw", action="store_true",
                        help="no run: draw again from the traces and run.json in --out")
    args = parser.parse_args(argv)
    if args.tiny and args.redraw:
        parser.error("--tiny and --redraw do not go together")
    if args.redraw and not (args.out / "run.json").is_file():
        parser.error(f"--redraw: no run.json in {args.out}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: {args.out} is not a folder")
    return args


def main(argv=None):
    args = parse_args(argv)
    plt = pyplot()
    if plt is None:
        raise SystemExit("figures: matplotlib is not installed; `make figures` installs it "
                         "(the project's bench extra)")
    if args.redraw:
        record, traces = load_run(args.out)
        check_all(traces)
        draw(plt, record, traces, args.out)
        print(f"==> drew {', '.join(PICTURES)} in {args.out}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    # Everything is made in a scratch folder and moved in at the end, so a
    # run that fails leaves the folder as it was.
    with tempfile.TemporaryDirectory(prefix="figures-") as tmp:
        work = Path(tmp)
        record = run_clients(TINY if args.tiny else SERVERS, work)
        (work / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        _, traces = load_run(work)
        check_all(traces)
        draw(plt, record, traces, work)
        names = PICTURES + [f"{m.name}.jsonl" for m in MODELS] + ["run.json"]
        for name in names:
            shutil.move(str(work / name), str(args.out / name))
    print(f"==> wrote {', '.join(names)} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
