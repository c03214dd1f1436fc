--- The colour ramp of `:AttnKL`: one highlight group per step, `AttnKL0` (lowest) … `AttnKL<N-1>`.
local M = {}

--- Pale yellow to deep red (ColorBrewer YlOrRd, 8 steps).
M.default_colours = { '#ffffcc', '#ffeda0', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#b10026' }

local function rgb(hex)
  local r, g, b = hex:match('^#(%x%x)(%x%x)(%x%x)$')
  if not r then
    error(string.format('selectattention: ramp colour %q is not #rrggbb', tostring(hex)), 0)
  end
  return tonumber(r, 16), tonumber(g, 16), tonumber(b, 16)
end

--- The xterm-256 colour nearest to `hex` in its 6×6×6 cube (for terminals without termguicolors).
function M.cterm(hex)
  local function step(value) -- the cube's levels are 0, 95, 135, 175, 215, 255
    if value < 48 then return 0 end
    if value < 115 then return 1 end
    return math.min(5, math.floor((value - 35) / 40))
  end
  local r, g, b = rgb(hex)
  return 16 + 36 * step(r) + 6 * step(g) + step(b)
end

--- Black text on light steps, white on dark ones (relative luminance, ITU-R BT.709 weights).
function M.text_colour(hex)
  local r, g, b = rgb(hex)
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) > 140 and '#000000' or '#ffffff'
end

--- The group name of step `level` (0-based).
function M.group(level)
  return 'AttnKL' .. level
end

--- Defines `AttnKL0` … for `colours` (a list of '#rrggbb', lowest first; default the YlOrRd ramp).
--- Existing definitions are replaced (a colour scheme may redefine them after this).
function M.define(colours)
  for index, hex in ipairs(colours) do
    local fg = M.text_colour(hex)
    vim.api.nvim_set_hl(0, M.group(index - 1), {
      bg = hex, fg = fg, ctermbg = M.cterm(hex), ctermfg = fg == '#000000' and 16 or 231,
    })
  end
end

--- The step (0 … steps−1) of `value` on a scale whose top is `top`: round(min(value/top, 1)·(steps−1)).
--- `top` ≤ 0 (every value is 0) gives step 0.
function M.level(value, top, steps)
  if top <= 0 or value <= 0 then return 0 end
  local t = math.min(value / top, 1)
  return math.floor(t * (steps - 1) + 0.5)
end

return M
