"""Neovim front-end tests. A package, so this folder's conftest does not shadow tests/conftest.py
for modules elsewhere that ``from conftest import ...``."""
