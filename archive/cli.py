"""``newsarchive``: one command, subcommands over the archive library (``archive/commands/``).

User mistakes (a bad date, a missing database, an unreadable file) end in a one-line message
and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import textwrap
from collections.abc import Sequence

from archive import __version__
from archive.commands import command_modules
from archive.commands.options import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Handler, UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description=textwrap.dedent("""\
            Archive news sites into WARC files and a normalized database, and query the archive.

            A crawl (`newsarchive crawl URL`, or `scrapy crawl newsfeed -a start_url=URL` in the project
            directory) writes every HTTP exchange to WARC under the WARC directory and the extracted
            articles to the database. Configuration: --db / $NEWSARCHIVE_DATABASE_URL (default
            sqlite:///data/newsarchive.db) and --warc-dir / $NEWSARCHIVE_WARC_DIR (default data/warc).
            """),
        epilog="Try `newsarchive demo` to see the whole pipeline on the bundled sample site, offline.\n"
        "`newsarchive COMMAND --help` tells more about each command, with examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsarchive {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        hint = getattr(args, "unknown_option_hint", None)
        message = f"unrecognized arguments: {' '.join(unknown)}" + (f"; {hint}" if hint else "")
        print(f"newsarchive: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    from archive.db import DatabaseError

    try:
        return handler(args)
    except UserError as exc:
        print(f"newsarchive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        print(f"newsarchive: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # `newsarchive export | head`: the reader left; not an error. Point stdout at devnull so
        # the interpreter's final flush does not complain either.
        with contextlib.suppress(OSError):
            sys.stdout = open(  # noqa: SIM115
                "/dev/null", "w"
            )
        return EXIT_OK
    except KeyboardInterrupt:
        print("newsarchive: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
