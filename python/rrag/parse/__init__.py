"""Parse layer: Rust source -> plain dataclasses (no SQL, no I/O beyond reading files).

``model`` holds the dataclasses every higher layer consumes; ``nodeid`` the stable ids;
``rust`` the tree-sitter extraction (queries in ``queries/*.scm``); ``workspace`` the Cargo
workspace and module-tree discovery.
"""
