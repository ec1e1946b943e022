#!/usr/bin/env node
/**
 * The `lipschitz-lens` CLI: a table of commands, so others add `audit` or `flow-demo` by adding a row.
 * Runnable unbundled (`npx tsx core/src/cli/main.ts lint examples`) and as the bundle entry.
 */
import { version } from '../../../package.json';
import { type CliIo, EXIT_OK, EXIT_USAGE, processIo, UsageError } from './io';
import { auditCommand } from './audit';
import { runLint } from './lint';

export interface Command {
  name: string;
  summary: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export const commands: Command[] = [
  {
    name: 'lint',
    summary: 'Check TensorFlow.js model definitions for Lipschitz and invertibility problems',
    run: (args, io) => runLint(args, io, version),
  },
  auditCommand,
  {
    name: 'reproduce',
    summary: "Train four small flows and compare their inverses: the paper's exploding-inverse result",
    run: async (args, io) => (await import('./reproduce')).runReproduce(args, io),
  },
  {
    name: 'monitor',
    summary: "Summarise a training monitor's run file; exit 1 when a threshold was crossed",
    run: async (args, io) => (await import('./monitor')).runMonitor(args, io),
  },
  {
    name: 'flow-demo',
    summary: 'Build the bundled flow, invert it and print what its layers report',
    // Loaded on demand: tfjs and the layers must not load for `lint`.
    run: async (args, io) => (await import('./flow-demo')).runFlowDemo(args, io),
  },
];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: lipschitz-lens <command> [options]

Commands:
${rows}

Options:
  -h, --help     Show help (also: lipschitz-lens <command> --help)
  -v, --version  Show the version
`;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout(usage());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.stdout(`${version}\n`);
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    io.stderr(`lipschitz-lens: unknown command '${first}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`lipschitz-lens ${command.name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(
      `lipschitz-lens ${command.name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT_USAGE;
  }
}

if (require.main === module) {
  // A reader that stops early (`lint ... | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? EXIT_OK);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
