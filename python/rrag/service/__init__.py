"""Service layer: the long-lived engine that front ends drive (CLI, Neovim host, Vim host)."""
