--- The client-side checks of Protocol §4 ("Clients check too") before joining a socket: its
--- folder is a real directory owned by this user with the group and other write bits clear, and
--- the socket file is a socket owned by this user. (Neovim's LSP client cannot read the peer's
--- uid with SO_PEERCRED, the third check of §4; the folder rule is what keeps another user's
--- socket out.)
local M = {}

local uv = require('selectattention.compat').uv

--- The default socket path, as `attn` computes it: `$XDG_RUNTIME_DIR/selectattention/attnd.sock`,
--- else `/tmp/selectattention-$UID/attnd.sock`.
function M.default_path()
  local runtime = vim.env.XDG_RUNTIME_DIR
  if runtime and runtime ~= '' then
    return runtime .. '/selectattention/attnd.sock'
  end
  return string.format('/tmp/selectattention-%d/attnd.sock', uv.getuid())
end

--- true, or false and a message naming the folder or file and what is wrong with it.
function M.check(path)
  if type(path) ~= 'string' or path:sub(1, 1) ~= '/' then
    return false, string.format('socket %q is not an absolute path', tostring(path))
  end
  local folder = vim.fn.fnamemodify(path, ':h')
  local uid = uv.getuid()
  local folder_stat = uv.fs_lstat(folder)
  if not folder_stat then
    return false, string.format('socket folder %s does not exist (is attnd --listen %s running?)', folder, path)
  end
  if folder_stat.type ~= 'directory' then
    return false, string.format('socket folder %s is a %s, not a real directory; refusing to connect',
      folder, folder_stat.type)
  end
  if folder_stat.uid ~= uid then
    return false, string.format('socket folder %s is owned by uid %d, not by you (uid %d); refusing to connect',
      folder, folder_stat.uid, uid)
  end
  if bit.band(folder_stat.mode, 18) ~= 0 then -- 0o022: group or other may write
    return false, string.format('socket folder %s is writable by group or others (mode %o); refusing to connect',
      folder, bit.band(folder_stat.mode, 511))
  end
  local stat = uv.fs_lstat(path)
  if not stat then
    return false, string.format('no socket at %s (is attnd --listen %s running?)', path, path)
  end
  if stat.type ~= 'socket' then
    return false, string.format('%s is a %s, not a socket', path, stat.type)
  end
  if stat.uid ~= uid then
    return false, string.format('socket %s is owned by uid %d, not by you (uid %d); refusing to connect',
      path, stat.uid, uid)
  end
  return true
end

return M
