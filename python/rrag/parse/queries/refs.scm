; The node kinds the graph's raw references come from (rrag.parse.refs). Matching runs in C;
; refs.py attributes each capture to the innermost item holding it and classifies types
; (plain use, generic bound, supertrait) from their parents. The same query runs on the
; wrapper of the file's macro arguments (rrag.parse.macro_args).
(use_declaration) @use
(extern_crate_declaration) @ext
(call_expression function: (_) @callee)
(macro_invocation macro: (_) @mac)
(type_identifier) @type
(scoped_type_identifier) @stype
(let_declaration) @let
(parameter) @param
(trait_bounds) @bounds
(field_declaration) @field
; Receivers that follow a call's declared return type (rrag.parse.receivers).
(let_condition) @letc
(for_expression) @for
(match_arm) @arm
; Constant and static reads (SCREAMING_CASE names) are found by a regex over the source in
; refs.py: a #match? predicate here doubled the query's cost.
