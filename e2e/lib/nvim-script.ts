/**
 * The Lua script Neovim runs headless: start the language server over stdio on one file, wait for its
 * diagnostics, ask for a hover, then ask for the code actions at one flagged diagnostic, apply the rule's fix
 * (the preferred action, not a "Disable" one) as Neovim applies a workspace edit, and wait for the diagnostics
 * of the changed text; write it all as JSON and quit. Neovim 0.7.2 (Debian bookworm) has no `vim.lsp.start`,
 * so it uses `vim.lsp.start_client` + `vim.lsp.buf_attach_client`.
 */

export interface NvimScriptOptions {
  node: string;
  server: string;
  workspace: string;
  file: string;
  /** LSP position (0-based line and UTF-16 column) to hover at. */
  hover: { line: number; character: number };
  /** The diagnostic to fix: its 0-based line and rule id. */
  fix: { line: number; ruleId: string };
  out: string;
  timeoutMs: number;
}

/** A Lua long string: no escaping needed for paths. */
function lua(s: string): string {
  if (s.includes(']==]')) throw new Error(`cannot quote ${s} for Lua`);
  return `[==[${s}]==]`;
}

export function nvimScript(o: NvimScriptOptions): string {
  return `
local out_path = ${lua(o.out)}
local file = ${lua(o.file)}
local result = { diagnostics = nil, hover = nil, actions = nil, applied = nil, after = nil, text = nil, errors = {}, log = {} }
-- Set once the fix is applied: from then on every publish (an empty one too) is the fixed text's.
local fixed = false

local function finish()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(buf)
  local client_id = vim.lsp.start_client({
    name = 'lipschitz-lens',
    cmd = { ${lua(o.node)}, ${lua(o.server)}, '--stdio' },
    root_dir = ${lua(o.workspace)},
    workspace_folders = { { uri = vim.uri_from_fname(${lua(o.workspace)}), name = 'workspace' } },
    handlers = {
      ['textDocument/publishDiagnostics'] = function(_, params)
        -- The first publish can be an empty "clear"; keep the latest non-empty list for this file.
        if params and params.uri == uri then
          if fixed then
            result.after = params.diagnostics
          elseif #params.diagnostics > 0 then
            result.diagnostics = params.diagnostics
          end
        end
      end,
      ['window/logMessage'] = function(_, params)
        table.insert(result.log, params.message)
      end,
    },
    on_exit = function(code, signal)
      result.exit = { code = code, signal = signal }
    end,
  })
  if not client_id then error('start_client returned nil') end
  vim.lsp.buf_attach_client(buf, client_id)

  local got = vim.wait(${o.timeoutMs}, function()
    return result.diagnostics ~= nil or result.exit ~= nil
  end, 50)
  if not got then table.insert(result.errors, 'no diagnostics within ${o.timeoutMs} ms') end
  -- A second publish (after the debounce) may refine the first: let it land.
  vim.wait(750, function() return false end, 50)

  local client = vim.lsp.get_client_by_id(client_id)
  if client and result.exit == nil then
    local response = client.request_sync('textDocument/hover', {
      textDocument = { uri = uri },
      position = { line = ${o.hover.line}, character = ${o.hover.character} },
    }, ${o.timeoutMs}, buf)
    if response == nil then
      table.insert(result.errors, 'hover timed out')
    elseif response.err then
      table.insert(result.errors, 'hover error: ' .. vim.inspect(response.err))
    else
      result.hover = response.result
    end

    local target = nil
    for _, d in ipairs(result.diagnostics or {}) do
      if d.range.start.line == ${o.fix.line} and tostring(d.code) == ${lua(o.fix.ruleId)} then target = d end
    end
    if target == nil then
      table.insert(result.errors, 'no ${o.fix.ruleId} diagnostic on line ${o.fix.line} to fix')
    else
      local actions = client.request_sync('textDocument/codeAction', {
        textDocument = { uri = uri },
        range = target.range,
        context = { diagnostics = { target } },
      }, ${o.timeoutMs}, buf)
      if actions == nil or actions.err then
        table.insert(result.errors, 'codeAction failed: ' .. vim.inspect(actions and actions.err))
      else
        result.actions = {}
        local pick = nil
        for _, a in ipairs(actions.result or {}) do
          table.insert(result.actions, a.title)
          local is_disable = a.title:find('^Disable') ~= nil
          if not is_disable and (pick == nil or (a.isPreferred and not pick.isPreferred)) then pick = a end
        end
        if pick == nil then
          table.insert(result.errors, 'no fix among the code actions')
        else
          result.applied = pick.title
          fixed = true
          if pick.edit then vim.lsp.util.apply_workspace_edit(pick.edit, client.offset_encoding or 'utf-16') end
          if pick.command then
            local cmd = type(pick.command) == 'table' and pick.command or pick
            client.request_sync('workspace/executeCommand', { command = cmd.command, arguments = cmd.arguments }, ${o.timeoutMs}, buf)
          end
          result.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\\n')
          local relinted = vim.wait(${o.timeoutMs}, function() return result.after ~= nil end, 50)
          if not relinted then table.insert(result.errors, 'no diagnostics after the fix within ${o.timeoutMs} ms') end
          -- As before the fix: a second publish may follow the first.
          vim.wait(750, function() return false end, 50)
        end
      end
    end
    client.stop()
  end
end)
if not ok then table.insert(result.errors, tostring(err)) end
finish()
`;
}
