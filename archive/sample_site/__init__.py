"""The bundled sample news site ("The Sample Independent") for the demo and the end-to-end tests."""

from .server import APP_SHELL, GHOST, SampleArticle, SampleSite, SampleTweet, load_articles

__all__ = ["APP_SHELL", "GHOST", "SampleArticle", "SampleSite", "SampleTweet", "load_articles"]
