"""Where a server's CPU time goes, from a py-spy raw profile (`py-spy record --format raw`), by category.

    py-spy record --pid PID --duration 10 --rate 200 --nonblocking --format raw -o /tmp/authorize.txt
    python -m benchmarks.profile_breakdown /tmp/authorize.txt

A sample belongs to the innermost library frame below the innermost frame of our own code (domain,
ocpp_server, api, autocharge): a socket write made by asyncpg counts as database work, one made by
websockets as framing, graphql-core's validation as GraphQL even under uvicorn and starlette. With no
library frame below our own, it is our own code; with no frame of ours and no library, the event loop.
Anything inside the frame journal counts as Real-Time Logs. A sample waiting (in epoll, or a thread-pool
worker waiting for work) is idle: counted apart and left out of the percentages.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable

Rule = tuple[str, Callable[[str], bool]]


def _in(*parts: str) -> Callable[[str], bool]:
    return lambda frame: any(part in frame for part in parts)


# When one frame matches several, the first rule wins.
RULES: list[Rule] = [
    (
        "Real-Time Logs (record each frame, batch INSERT, publish) and event publishing",
        # A multi-row INSERT ... VALUES is compiled anew for every batch size: only the journal writes those.
        # (SQLAlchemy compiles in a greenlet, whose stack py-spy shows without the caller's frames.)
        _in(
            "JournaledConnection._record",
            "frame_journal.py",
            "infra/pubsub/",
            "OcppFrameLogged",
            "_extend_values_for_multiparams",
        ),
    ),
    (
        "ocpp package: JSON-schema validation (+ thread-pool hop)",
        _in("validate_payload", "jsonschema/", "concurrent/futures/thread.py", "ThreadPoolExecutor"),
    ),
    (
        "ocpp package: camelCase/snake_case + dataclass conversion",
        _in("camel_to_snake_case", "snake_to_camel_case", "serialize_as_dict", "remove_nones", "dataclasses.py"),
    ),
    ("ORM / database (SQLAlchemy, asyncpg, repositories)", _in("sqlalchemy/", "asyncpg/", "infra/db/")),
    ("JSON encode/decode", _in("json/", "orjson", "to_json", "parse_frame")),
    ("websockets framing and socket I/O", _in("websockets/")),
    ("logging (structlog, logging)", _in("structlog/", "logging/")),
    ("Prometheus metrics", _in("prometheus_client/")),
    ("GraphQL (strawberry, graphql-core)", _in("strawberry/", "graphql/")),
    ("HTTP (uvicorn, starlette, httptools)", _in("uvicorn/", "starlette/", "httptools")),
    ("ocpp package: other per-call machinery", _in("ocpp/")),
]
OWN_CODE = _in("domain/", "ocpp_server/", "api/", "autocharge/")
OWN = "our code (domain services, ocpp_server glue, api)"
LOOP = "event loop and asyncio plumbing"
# Leaves that are waiting, whatever py-spy's idle detection said: epoll, and a thread-pool worker's queue.get.
IDLE = _in("EpollSelector.select", "select (selectors.py", "_worker (concurrent/futures/thread.py")


def _category(frame: str) -> str | None:
    return next((name for name, matches in RULES if matches(frame)), None)


def classify(frames: list[str]) -> str:
    """`frames` from the outermost in."""
    journal, journal_matches = RULES[0]
    if any(journal_matches(frame) for frame in frames):  # inside the journal, whatever it calls
        return journal
    categories = [_category(frame) for frame in frames]
    ours = [i for i, frame in enumerate(frames) if categories[i] is None and OWN_CODE(frame)]
    below = categories[ours[-1] + 1 :] if ours else categories
    found = next((category for category in reversed(below) if category is not None), None)
    if found is not None:
        return found
    return OWN if ours else LOOP


def read(lines: Iterable[str]) -> tuple[Counter[str], Counter[str], int, int]:
    """Samples per category and per leaf function, the busy total and the idle samples."""
    categories: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = idle = 0
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame for frame in stack.split(";") if frame]
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = frames[1:]
        if frames and IDLE(frames[-1]):
            idle += n
            continue
        total += n
        categories[classify(frames)] += n
        if frames:
            leaves[frames[-1]] += n
    return categories, leaves, total, idle


def breakdown(path: str, top: int = 15) -> dict[str, object]:
    with open(path) as profile:
        categories, leaves, total, idle = read(profile)
    share = {name: round(n / total * 100, 1) for name, n in categories.most_common()} if total else {}
    hottest = {name: round(n / total * 100, 1) for name, n in leaves.most_common(top)} if total else {}
    return {
        "profile": path,
        "busy_samples": total,
        "idle_samples": idle,
        "categories_pct": share,
        "hottest_leaf_functions_pct": hottest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profiles", nargs="+", help="py-spy raw (collapsed stack) files")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for path in args.profiles:
        json.dump(breakdown(path, args.top), sys.stdout, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
