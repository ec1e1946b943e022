/**
 * Entry of the language server bundle (dist/server/server.js). `createConnection` reads the transport from
 * argv (`--stdio`, `--node-ipc`, `--socket=N`), so the same file serves VS Code and any stdio LSP client.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);

// A bug in one request must not take the server down with every open file's diagnostics.
process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e.message}`));
process.on('unhandledRejection', (e) =>
  connection.console.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
);

startServer(connection);

// Node's default for these skips 'exit' handlers, and those are what kill a probe worker's process group (the
// worker's watchdog would too, but only after it notices).
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));
