"""``python -m archive.sample_site [--host H] [--port N]``: serve the sample site in the foreground."""

from .server import main

if __name__ == "__main__":
    main()
