"""The extraction function, split by concern; import it from `archive.extract`."""
