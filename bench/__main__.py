"""``python -m bench <name> [args…]``: run the benchmark in ``bench/<name>.py``.

Every module ``bench.<name>`` with a ``main(argv: list[str]) -> int | None`` is a
subcommand; ``python -m bench all [args…]`` runs them all in name order with the same
arguments (so each ``main`` should ignore options it does not know: ``parse_known_args``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable

import bench


def discover() -> dict[str, Callable[[list[str]], int | None]]:
    """Every benchmark module's `main`, by module name."""
    found: dict[str, Callable[[list[str]], int | None]] = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        main = getattr(module, "main", None)
        if callable(main):
            found[info.name] = main
    return found


def run(argv: list[str]) -> int:
    benchmarks = discover()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: python -m bench {" + ",".join([*sorted(benchmarks), "all"]) + "} [options]")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name == "all":
        status = 0
        for bench_name, main in sorted(benchmarks.items()):
            print(f"== {bench_name}", flush=True)
            status = status or int(main(rest) or 0)
        return status
    main = benchmarks.get(name)
    if main is None:
        print(f"unknown benchmark {name!r}; known: {', '.join(sorted(benchmarks))}", file=sys.stderr)
        return 2
    return int(main(rest) or 0)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
