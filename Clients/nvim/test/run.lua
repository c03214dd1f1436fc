-- The plugin's tests, run headless by any Neovim from 0.7 on (0.7 has no `-l`):
--
--   ATTND=$(swift build --show-bin-path)/attnd nvim --headless -u NONE -i NONE -n \
--     -c 'luafile Clients/nvim/test/run.lua'
--
-- Runs every test_*.lua beside this file (unit tests of the pure modules, then the commands
-- against the real daemon on Tests/Fixtures/models/tiny-peaked), prints one line per test and
-- closes with "nvim: N passed, N failed, N skipped". Exits 0 when nothing failed, else 1.
-- Without $ATTND the daemon tests are skipped, saying so.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local plugin = vim.fn.fnamemodify(here, ':h')
local repository = vim.fn.fnamemodify(plugin, ':h:h')
vim.opt.runtimepath:prepend(plugin)
package.path = here .. '/?.lua;' .. package.path

local T = require('harness')
T.repository = repository
T.model = vim.env.ATTN_TEST_MODEL or (repository .. '/Tests/Fixtures/models/tiny-peaked')

T.say(string.format('nvim %s (%s)', require('selectattention.compat').version(), vim.v.progpath))
for _, file in ipairs(vim.fn.sort(vim.fn.glob(here .. '/test_*.lua', false, true))) do
  T.file(vim.fn.fnamemodify(file, ':t'))
  local ok, err = pcall(dofile, file)
  if not ok then T.fail_file(err) end
end
T.finish()
