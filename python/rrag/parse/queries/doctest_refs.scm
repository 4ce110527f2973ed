; The reference query for a file's doc-test wrapper (rrag.parse.doctests): a doc test yields
; only calls (tests of the documented item), the macros whose arguments hold more of them,
; the `use`s that spell its names out and the bindings that type its receivers. Types,
; fields and bounds are left out: refs.py drops them for doc tests anyway, and they are most
; of the captures of refs.scm.
(use_declaration) @use
(call_expression function: (_) @callee)
(macro_invocation macro: (_) @mac)
(let_declaration) @let
(parameter) @param
(let_condition) @letc
(for_expression) @for
(match_arm) @arm
