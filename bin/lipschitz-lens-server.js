#!/usr/bin/env node
// The language server for any LSP client: `lipschitz-lens-server --stdio` (also --node-ipc, --socket=N).
// The bundle is built by `npm run build` (scripts/build.mjs -> dist/server/server.js).
'use strict';
if (
  !process.argv.some(
    (a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'),
  )
) {
  process.argv.push('--stdio');
}
require('../dist/server/server.js');
