"""Stand-in for `newsarchive extract --manifest FILE` until the CLI has it: one JSON record per line.

usage: python benchmarks/extract_manifest.py MANIFEST   (lines of {"path": ..., "url": ...})
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.extract import extract, to_record


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as manifest:
        for line in manifest:
            if not line.strip():
                continue
            item = json.loads(line)
            raw = Path(item["path"]).read_bytes()
            if item["path"].endswith(".gz") or raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            result = extract(raw, item.get("url") or "", None)
            print(json.dumps(to_record(result), ensure_ascii=False), flush=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
