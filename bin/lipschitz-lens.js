#!/usr/bin/env node
// The CLI: `lipschitz-lens lint | audit | flow-demo`. The bundle is built by `npm run build`
// (scripts/build.mjs -> dist/cli/lipschitz-lens.js).
'use strict';
require('../dist/cli/lipschitz-lens.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 2;
    },
  );
