-- luacheck (Debian's lua-check), run by `make lint`: the plugin's Lua runs on LuaJIT inside
-- Neovim, where `vim` is the editor's API table.
-- StyLua (stylua.toml) wraps code at 100 columns; what it cannot wrap (a long message string)
-- may reach 120.
std = "luajit"
globals = { "vim" }
max_line_length = 120
-- Callbacks keep the editor's full argument lists for readability (`function(err, result)`).
unused_args = false
-- Generated from python/rrag (scripts/gen-editor-tables.py): one table row per line.
files["lua/rrag/engine_schema.lua"] = { max_line_length = false }
files["lua/rrag/methods.lua"] = { max_line_length = false }
