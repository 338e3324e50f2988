"""Extraction quality on the dev corpus: our extractor beside trafilatura's default, from one run.

usage: python benchmarks/extract_quality.py [--cmd CMD] [--worst N] [--by language] [--corpus DIR]

Runs ../shared/tools/extract_eval.py twice (our command, then `--baseline trafilatura`) and prints both tables.
The default command is `newsarchive extract --manifest {manifest}`; until the CLI is installed, pass
`--cmd 'python benchmarks/extract_manifest.py {manifest}'`. Our ms/page is wall time including start-up;
trafilatura's is library time only, so ours is the pessimistic figure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "tools" / "extract_eval.py"


def run(args: list[str]) -> int:
    print(f"$ python {EVAL.name} {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, str(EVAL), *args], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cmd", default="newsarchive extract --manifest {manifest}")
    parser.add_argument("--worst", type=int, default=0)
    parser.add_argument("--by", choices=("language", "publisher", "source"))
    parser.add_argument("--corpus", action="append", default=[])
    opts = parser.parse_args(argv)
    if not EVAL.exists():
        print(f"missing {EVAL}: the shared tools live beside the repository", file=sys.stderr)
        return 2
    common = [f"--corpus={c}" for c in opts.corpus]
    if opts.by:
        common += ["--by", opts.by]
    ours = ["--cmd", opts.cmd, "--cwd", str(ROOT), *common]
    if opts.worst:
        ours += ["--worst", str(opts.worst)]
    status = run(ours)
    print()
    status |= run(["--baseline", "trafilatura", *common])
    return status


if __name__ == "__main__":
    raise SystemExit(main())
