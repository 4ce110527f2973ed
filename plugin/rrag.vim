" rrag: Rust-aware context for a local LLM — the Vim 9 front end (:help rrag-vim).
" Neovim sources plugin/*.vim too; it uses plugin/rrag.lua instead.
if has('nvim')
  finish
endif
if exists('g:loaded_rrag')
  finish
endif
if v:version < 900 || !has('job') || !has('channel') || !has('popupwin') || !has('timers')
  echohl ErrorMsg
  echomsg 'rrag: Vim 9.0 or newer with +job, +channel, +popupwin and +timers is required'
  echohl None
  finish
endif
let g:loaded_rrag = 1

command! -nargs=* -range RragAsk call rrag#ask(<range>, <line1>, <line2>, <q-args>)
command! -range RragExplain call rrag#explain(<range>, <line1>, <line2>)
command! -nargs=+ -range RragRefactor call rrag#refactor#start(<range>, <line1>, <line2>, <q-args>)
command! -nargs=* -range RragContext call rrag#context#open(<range>, <line1>, <line2>, <q-args>)
command! -nargs=* RragSearch call rrag#search#run(<q-args>)
command! -nargs=* RragUpgrade call rrag#upgrade#run(<q-args>)
command! RragIndex call rrag#index()
command! RragStatus call rrag#status()
command! RragCancel call rrag#cancel()
command! -nargs=? RragModel call rrag#models#open(<q-args>)
command! RragSources call rrag#sources()
command! RragAccept call rrag#refactor#accept()
command! RragReject call rrag#refactor#reject()
" Commands whose popup only shows the host's view: defined from the protocol's table.
for s:spec in rrag#methods#commands()
  execute printf('command! -nargs=%s %s %s call rrag#view#run(%s, <range>, <line1>, <line2>, <q-args>)',
        \ s:spec.nargs, s:spec.range ? '-range' : '', s:spec.name, string(s:spec.name))
endfor
unlet! s:spec

augroup rrag
  autocmd!
  autocmd BufWritePost *.rs,Cargo.toml,Cargo.lock call rrag#on_write(expand('<afile>:p'))
  autocmd FocusGained,BufEnter *.rs call rrag#on_focus(expand('<afile>:p'))
augroup END
