"""Parse layer: the plain dataclasses that every higher layer consumes.

A worker process turns one file into a ``ParsedFile`` whose items carry names relative to the
file's module (it cannot know the module path: that comes from the whole crate's module tree).
``finalize`` (in ``rrag.parse.rust``) then fixes qualified names, NodeIds and parents once the
module path of the file is known. Nothing here touches SQL or the filesystem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The item kinds of the CLI contract.
KINDS = (
    "function", "method", "struct", "enum", "union", "trait", "impl", "module", "file",
    "const", "static", "type", "macro",
)


@dataclass(slots=True)
class Item:
    """One chunk: a function, method, struct, enum, union, trait, impl, module, file, const,
    static, type alias or macro_rules definition."""

    kind: str
    name: str  # simple name: "area", "Circle", "<impl Shape for Circle>", "shapes" (module/file)
    # Name path inside the file's module, through inline modules and impls/traits:
    # "Circle", "<impl Shape for Circle>::area", "tests::it_works". Used for the element key.
    name_path: str
    # Inline modules between the file's module and this item ("tests", "a::b"); "" at top level.
    module_rel: str
    start_byte: int
    end_byte: int
    start_line: int  # 1-based, inclusive; includes leading doc comments and attributes
    end_line: int
    content: str
    signature: str = ""
    docs: str = ""
    visibility: str = ""  # "pub", "pub(crate)", "pub(super)", "pub(in path)" or "" (private)
    attrs: tuple[str, ...] = ()  # attribute texts without #[ ], e.g. "derive(Debug, Clone)"
    derives: tuple[str, ...] = ()  # ("Debug", "Clone")
    cfg: tuple[str, ...] = ()  # ("test",), ('feature = "std"',)
    generics: str = ""  # "<T: Shape>" as written
    # For methods and impls: the self type as written without generics ("Circle"), and the
    # trait of a trait impl ("Shape"); used for qualified names and by the graph.
    self_type: str = ""
    trait_name: str = ""
    parent_index: int | None = None  # index into ParsedFile.items; None: the file item
    ordinal: int = 0  # among earlier siblings with the same kind and name path
    # Filled by finalize():
    qualname: str = ""
    module_path: str = ""
    id: str = ""
    parent: str | None = None

    @property
    def key(self) -> str:
        from .nodeid import element_key

        return element_key(self.kind, self.name_path, self.ordinal)


@dataclass(slots=True)
class ModDecl:
    """A ``mod name;`` (out-of-line) or ``mod name { ... }`` (inline) declaration."""

    name: str
    inline: bool
    module_rel: str  # inline modules enclosing the declaration ("" at file top level)
    path_attr: str | None = None  # the value of #[path = "..."], if any
    cfg: tuple[str, ...] = ()
    line: int = 0
    macro_use: bool = False


@dataclass(slots=True)
class ParsedFile:
    path: str  # relative to the workspace root, '/' separators
    items: list[Item] = field(default_factory=list)  # items[0] is always the file item
    mod_decls: list[ModDecl] = field(default_factory=list)
    error_count: int = 0  # ERROR and MISSING nodes tree-sitter recovered from
    line_count: int = 0
    # Raw references for the graph (uses, calls, type uses, macro calls); filled by the graph
    # extraction step and opaque to the store.
    refs: list = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Problem:
    """A file we could not index (or only partly): reported once, by path."""

    path: str
    message: str
