/**
 * A throwaway code-server: its own user data, extensions and config folders under a temp dir, the packaged
 * extension installed with `--install-extension`, a copy of examples/ as the workspace, bound to 127.0.0.1 on
 * a free port with no auth and no telemetry.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Prepared } from './prepared';
import { EXAMPLES, ROOT } from './paths';
import { freePort, type Proc, run, start, waitFor } from './proc';

export interface CodeServer {
  url: string;
  /** The workspace folder (a copy of examples/ with a package.json naming tfjs). */
  workspace: string;
  proc: Proc;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Restricted Mode when false: Workspace Trust on, the folder not trusted, no startup prompt. */
  trusted: boolean;
  /** Log file prefix, so two servers in one run keep separate logs. */
  name: string;
  /** Makes the workspace folder under `base` (default: makeWorkspace, the examples). */
  workspace?: (base: string) => string;
  /** Added to code-server's environment, which its terminals and tasks inherit. */
  env?: NodeJS.ProcessEnv;
}

function env(tools: Prepared): NodeJS.ProcessEnv {
  // code-server's launcher is `#!/usr/bin/env node`: Node 24 must come first on PATH.
  return { ...process.env, PATH: `${dirname(tools.node)}${delimiter}${process.env.PATH ?? ''}` };
}

/** The examples, copied so quick fixes edit the copy; the manifest makes the client start (it looks for tfjs). */
export function makeWorkspace(base: string): string {
  const ws = join(base, 'workspace');
  // Without examples/tsconfig.json, which maps lipschitz-lens to this checkout's sources: a user's project has
  // no such mapping.
  const ownConfig = join(EXAMPLES, 'tsconfig.json');
  cpSync(EXAMPLES, ws, { recursive: true, filter: (src) => src !== ownConfig });
  writeFileSync(
    join(ws, 'package.json'),
    `${JSON.stringify({ name: 'e2e-models', private: true, dependencies: { '@tensorflow/tfjs': '^4.22.0' } }, null, 2)}\n`,
  );
  // The user's installed tfjs (what the manifest declares), linked from this repository: the TypeScript
  // service resolves the imports and an audit can load the user's copy. Nothing else: a user's project need
  // not have this repository's tools (esbuild, tsx) installed.
  mkdirSync(join(ws, 'node_modules'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', '@tensorflow'), join(ws, 'node_modules', '@tensorflow'), 'dir');
  // And the library, so the examples' imports resolve and quick fixes import it as they are; the install path
  // (a project without it) is e2e/library-install.e2e.ts. No package manager may run here: it would prune
  // through the links.
  symlinkSync(join(ROOT, 'core'), join(ws, 'node_modules', 'lipschitz-lens'), 'dir');
  return ws;
}

function userSettings(trusted: boolean): Record<string, unknown> {
  return {
    'security.workspace.trust.enabled': !trusted,
    // Restricted Mode without the modal prompt, as after a user picked "Don't trust".
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.untrustedFiles': 'open',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    // The secondary side bar opens empty (its chat view is off): hidden, the editors get its width.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'editor.hover.delay': 300,
    // Keep audits short on a 2-core machine: the report renders the same with fewer points.
    'lipschitzLens.probes.budgetSeconds': 30,
    'lipschitzLens.probes.points': 16,
  };
}

export async function startCodeServer(tools: Prepared, opts: CodeServerOptions): Promise<CodeServer> {
  const base = mkdtempSync(join(tmpdir(), `ll-e2e-${opts.name}-`));
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(userSettings(opts.trusted), null, 2));
  const config = join(base, 'config.yaml');
  // An explicit config file: otherwise code-server writes one into the user's ~/.config.
  writeFileSync(config, 'auth: none\ncert: false\n');
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  await run(tools.codeServer, [...common, '--install-extension', tools.vsix], {
    env: env(tools),
    log: `${opts.name}-install-extension.log`,
    timeoutMs: 120_000,
  });
  const workspace = (opts.workspace ?? makeWorkspace)(base);
  const port = await freePort();
  const proc = start(
    tools.codeServer,
    [
      ...common,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(opts.trusted ? ['--disable-workspace-trust'] : []),
      workspace,
    ],
    { env: { ...env(tools), ...opts.env }, log: `${opts.name}-code-server.log` },
  );
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  await waitFor(
    'code-server to listen',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`code-server exited: ${proc.output().slice(-2000)}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    },
    60_000,
    500,
  );
  return {
    url,
    workspace,
    proc,
    async stop(): Promise<void> {
      await proc.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
