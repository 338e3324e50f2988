"""Helpers the tests share (servers, builders); fixtures themselves are registered in tests/conftest.py."""
