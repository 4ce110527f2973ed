; The names an answer's Rust code uses and the ones it brings into scope itself
; (rrag.parse.answer_names). Matching runs in C; answer_names.py keeps the outermost path of
; a nested one, reads receivers and bindings in source order and drops names the code defines.
(call_expression function: (_) @call)
(field_expression) @field
(macro_invocation macro: (_) @macro)
(scoped_identifier) @path
(type_identifier) @type
(scoped_type_identifier) @type
; Bindings: their identifiers are the answer's own names, not the index's.
(let_declaration) @let
(parameter) @param
(closure_parameters) @closure
(for_expression pattern: (_) @pattern)
(match_pattern) @pattern
(let_condition pattern: (_) @pattern)
(self_parameter) @self
(impl_item) @impl
; Definitions.
(function_item name: (_) @def)
(function_signature_item name: (_) @def)
(struct_item name: (_) @def)
(enum_item name: (_) @def)
(union_item name: (_) @def)
(trait_item name: (_) @def)
(type_item name: (_) @def)
(associated_type name: (_) @def)
(type_parameter name: (_) @def)
(enum_variant name: (_) @def)
(macro_definition name: (_) @def)
(mod_item name: (_) @def)
(const_item name: (_) @def)
(static_item name: (_) @def)
(use_as_clause alias: (_) @def)
