; The node kinds the graph's raw references come from (rrag.parse.refs). Matching runs in C;
; refs.py attributes each capture to the innermost item holding it and classifies types
; (plain use, generic bound, supertrait) from their parents.
(use_declaration) @use
(call_expression function: (_) @callee)
(macro_invocation macro: (_) @mac)
(type_identifier) @type
(scoped_type_identifier) @stype
(let_declaration) @let
(parameter) @param
(trait_bounds) @bounds
(field_declaration) @field
