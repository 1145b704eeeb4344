"""Run every benchmark and write what each printed, with a table of the runs.

    python benchmarks/run_all.py [--out benchmarks/last_run.md] [NAME ...]

NAME is a script's name without ``bench_`` and ``.py`` (``engine``,
``grid_search``, ``open_vocabulary``, ``scale``); by default all of them but the
two that compare two versions of the code and need their arguments
(``same_vectors``, ``two_checkouts``). The
figures in the README and in ``docs/`` come from these scripts, logged by date in
``benchmarks/results.md``; the file this writes puts one run's figures side by side to
compare with them. The scripts run one after another (each uses every core).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
COMPARISONS = {"same_vectors", "two_checkouts"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [name for name in SCRIPTS if name not in COMPARISONS]
    parser.add_argument("names", nargs="*", default=default, metavar="NAME")
    parser.add_argument("--out", type=Path, default=HERE / "last_run.md")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(SCRIPTS))
    if unknown:
        parser.error(f"no benchmark {unknown}; choose among {SCRIPTS}")
    rows, sections = [], []
    for name in args.names:
        script = HERE / f"bench_{name}.py"
        print(f"running {script.name} ...", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, script], capture_output=True, text=True, cwd=HERE)
        seconds = time.perf_counter() - start
        status = "ok" if result.returncode == 0 else f"failed ({result.returncode})"
        rows.append(f"| `{script.name}` | {status} | {seconds:.0f} s |")
        output = result.stdout if result.returncode == 0 else result.stdout + result.stderr
        sections.append(f"## `{script.name}`\n\n```\n{output.rstrip()}\n```\n")
    table = "| script | status | wall time |\n|---|---|---|\n" + "\n".join(rows)
    text = f"# Benchmark results\n\n{table}\n\n" + "\n".join(sections)
    partial = args.out.with_name(args.out.name + ".partial")
    partial.write_text(text)
    partial.replace(args.out)  # the file appears whole
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
