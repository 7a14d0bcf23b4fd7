"""Maintainer commands: one module per command (bench, synthetic knowledge bases, ...)."""
