"""Parse layer: Rust source -> plain dataclasses (no SQL, no I/O beyond reading files).

``model`` holds the dataclasses every higher layer consumes; ``nodeid`` the stable ids;
``rust`` the tree-sitter parse and ``finalize`` (the item walk itself in ``extract``, text
helpers in ``text``); ``workspace`` the Cargo workspace discovery (``scan`` and ``ignore`` walk
the folder, ``cargo_toml`` reads manifests, ``modtree`` gives each file its module path).
"""
