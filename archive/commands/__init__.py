"""The ``newsarchive`` subcommands, one module each; each module has ``register(subparsers)``.

To add a command: write ``archive/commands/NAME.py`` with ``register`` and add NAME below.
"""

COMMANDS: tuple[str, ...] = ("crawl", "demo", "export", "extract")
