"""Store layer: the schema as an ordered list of named migrations.

Each migration runs once, inside one transaction, and is recorded in ``_rrag_migrations``
(the llm / sqlite-utils habit). Never edit a shipped migration: append a new one. A database
that has migrations we do not know (written by a newer rrag) is rebuilt, not guessed at.
"""

from __future__ import annotations

M001_STRUCTURE = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);

CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,          -- relative to the workspace root, '/' separators
    package TEXT NOT NULL DEFAULT '',
    crate TEXT NOT NULL DEFAULT '',
    module_path TEXT NOT NULL DEFAULT '',
    id_namespace TEXT NOT NULL DEFAULT '',  -- what NodeIds of this file hash (see indexer)
    reachable INTEGER NOT NULL DEFAULT 1,   -- reached through the module tree
    hash TEXT NOT NULL DEFAULT '',          -- blake3 of the content
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    line_count INTEGER NOT NULL DEFAULT 0,
    parse_errors INTEGER NOT NULL DEFAULT 0, -- ERROR/MISSING nodes tree-sitter recovered from
    problem TEXT,                            -- why the file could not be indexed, if it could not
    mod_decls TEXT NOT NULL DEFAULT '[]',    -- JSON, to rebuild the module tree without parsing
    indexed_at REAL NOT NULL DEFAULT 0,
    -- The indexed bytes, stored once: item text is a byte range of it (containers would
    -- otherwise store their children's text again, about 2.4x the source on real crates).
    source BLOB NOT NULL DEFAULT x''
);

CREATE TABLE items(
    id TEXT PRIMARY KEY,                 -- 32 hex digits: the compact 128-bit NodeId
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    qualname TEXT NOT NULL,
    module_path TEXT NOT NULL,
    parent TEXT,
    start_byte INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    signature TEXT NOT NULL DEFAULT '',
    docs TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL DEFAULT '',
    attrs TEXT NOT NULL DEFAULT '[]',
    derives TEXT NOT NULL DEFAULT '[]',
    cfg TEXT NOT NULL DEFAULT '[]',
    generics TEXT NOT NULL DEFAULT '',
    self_type TEXT NOT NULL DEFAULT '',
    trait_name TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL           -- blake3 of the item's text: the embedding cache key
);
CREATE INDEX items_file ON items(file_id);
CREATE INDEX items_qualname ON items(qualname);
CREATE INDEX items_name ON items(name);
CREATE INDEX items_parent ON items(parent);
"""

# Lexical index: contentless FTS5 keyed by items.rowid (the text lives in files.source);
# full detail: bm25() needs the position lists (with detail=column it returns 0 for every row);
# '_' is a token character so identifiers stay whole, their parts are added by store.lexical.
M002_LEXICAL = """
CREATE VIRTUAL TABLE items_fts USING fts5(
    name, signature, docs, body,
    tokenize = "unicode61 tokenchars '_'",
    content = '', contentless_delete = 1
);
"""

# The code graph: each file's raw references (JSON, written with the file) and the resolved
# edges, one row per usage location; target NULL = unresolved (target_path as written after
# import resolution, candidates a JSON list when ambiguous).
M003_GRAPH = """
CREATE TABLE file_refs(
    file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    refs TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE edges(
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT,
    target_path TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    candidates TEXT
);
CREATE INDEX edges_source ON edges(source, kind);
CREATE INDEX edges_target ON edges(target, kind);
"""

# Vectors: a content-addressed cache of embedded texts (``vectors``: one row per distinct text
# of the current model with its float32 vector; the sign-quantized copy KNN scans lives in the
# sqlite-vec table created by ``store.vectors`` once the model's dimension is known), which items
# use which vectors (``item_chunks``: one row per window), and the persistent work queue
# (``embed_queue``) that survives a crash.
M004_VECTORS = """
CREATE TABLE vectors(
    id INTEGER PRIMARY KEY,              -- also the rowid of its bit vector in vec_chunks
    text_hash TEXT NOT NULL UNIQUE,      -- blake3 of model key + embedded text
    embedding BLOB NOT NULL              -- float32, L2-normalised: exact re-scoring
);
CREATE TABLE item_chunks(
    item_id TEXT NOT NULL,
    window INTEGER NOT NULL,
    vector_id INTEGER NOT NULL,
    PRIMARY KEY(item_id, window)
) WITHOUT ROWID;
CREATE INDEX item_chunks_vector ON item_chunks(vector_id);
CREATE TABLE embed_queue(
    seq INTEGER PRIMARY KEY,             -- FIFO order inside a priority
    item_id TEXT NOT NULL UNIQUE,
    priority INTEGER NOT NULL            -- 0 open/saved files, 1 workspace, 2-3 dependencies
);
CREATE INDEX embed_queue_order ON embed_queue(priority, seq);
INSERT INTO embed_queue(item_id, priority) SELECT id, 1 FROM items;
"""

# Dependencies (issue 8): a dependency's rows are imported from its shared cache database and
# tagged with the cache key they came from (NULL: a workspace file), the locked version and the
# path relative to the dependency's root (``files.path`` keeps a unique internal key).
M005_DEPENDENCIES = """
ALTER TABLE files ADD COLUMN dep_key TEXT;
ALTER TABLE files ADD COLUMN dep_version TEXT;
ALTER TABLE files ADD COLUMN dep_path TEXT;
CREATE INDEX files_dep_key ON files(dep_key);
"""

# Where each imported dependency's sources are on this machine: items keep paths relative to
# their crate, and an editor jumping to one needs the folder (``store.deps.folders``).
M006_DEPENDENCY_FOLDERS = """
CREATE TABLE dep_folders(dep_key TEXT PRIMARY KEY, folder TEXT NOT NULL);
"""

# Issue 16: whether an item is compiled on this host (its #[cfg] holds). Dependencies keep
# only active items; the workspace keeps everything and ranking prefers the active ones.
M007_ACTIVE_ITEMS = """
ALTER TABLE items ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
"""

# The secondary indexes a first index builds after its rows are in (store.bulk), by name: their
# definitions stay in the migrations above, the one description of the schema. Left out: the
# ones the load itself looks rows up by (items_file: a file's items while it is written;
# files_dep_key: an imported crate's rows), which grow in insertion order anyway.
BUILT_AFTER_LOAD = ("items_qualname", "items_name", "items_parent", "edges_source",
                    "edges_target", "item_chunks_vector", "embed_queue_order")

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_structure", M001_STRUCTURE),
    ("m002_lexical_fts", M002_LEXICAL),
    ("m003_graph", M003_GRAPH),
    ("m004_vectors", M004_VECTORS),
    ("m005_dependencies", M005_DEPENDENCIES),
    ("m006_dependency_folders", M006_DEPENDENCY_FOLDERS),
    ("m007_active_items", M007_ACTIVE_ITEMS),
]
