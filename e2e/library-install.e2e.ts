/**
 * Issue 14, item 1 in a real VS Code (code-server in headless Chromium): in a project that has tfjs and not
 * lipschitz-lens, the spectral-norm quick fix adds the library first (the tarball the .vsix carries, installed by
 * npm in a terminal task, offline from the npm cache), then inserts the constraint and its import; the project
 * then type-checks with `tsc`, and the diagnostic is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CodeServer, startCodeServer } from './lib/code-server';
import { columnOf } from './lib/expect';
import { ROOT } from './lib/paths';
import { prepared } from './lib/prepared';
import { delay, waitFor } from './lib/proc';
import { Workbench } from './lib/workbench';

const MODEL = 'critic.ts';
const SOURCE = `import * as tf from '@tensorflow/tfjs';

/** @lipschitz (a Wasserstein critic) */
export function critic(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, inputShape: [4], activation: 'tanh' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
}
`;
const FLAGGED_LINE = 7;
const RULE = 'missing-lipschitz-constraint';
const tfjsVersion = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** npm settings for the test's installs: from the cache the clean install filled, no network round trips. */
const NPM_ENV = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** A model author's project: tfjs installed with npm (a real node_modules, not links), strict TypeScript. */
function makeProject(base: string): string {
  const dir = join(base, 'critic-project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'critic-project', private: true, dependencies: { '@tensorflow/tfjs': tfjsVersion } }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        // tfjs 4.22's own declarations fail strict checks; the user's code is what is checked.
        skipLibCheck: true,
        types: [],
      },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, MODEL), SOURCE);
  execFileSync('npm', ['install'], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, ...NPM_ENV },
    timeout: 300_000,
  });
  return dir;
}

/** `tsc --noEmit` over the project: its output, empty when it type-checks. */
function typeErrors(project: string): string {
  try {
    execFileSync(process.execPath, [TSC, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string; message: string };
    return `${out.stdout ?? ''}${out.stderr ?? ''}` || out.message;
  }
}

describe('Quick fix in a project without the library (code-server)', () => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let project = '';

  before(async () => {
    cs = await startCodeServer(prepared(), {
      trusted: true,
      name: 'library-install',
      workspace: (base) => (project = makeProject(base)),
      env: NPM_ENV,
    });
    wb = await Workbench.open(cs.url);
    await wb.openFile(MODEL);
  });
  after(async () => {
    await wb?.close();
    await cs?.stop();
  });

  test('adds lipschitz-lens with npm, then applies the fix, and the project still type-checks', async () => {
    assert.equal(typeErrors(project), '', 'the project does not type-check before the fix');
    assert.ok(!existsSync(join(project, 'node_modules', 'lipschitz-lens')));
    await waitFor(
      `the ${RULE} diagnostic`,
      async () => (await wb!.problems()).some((r) => r.ruleId === RULE && r.line === FLAGGED_LINE),
      60_000,
    );
    const column = columnOf(join(project, MODEL), FLAGGED_LINE, 'dense');
    const picked = await wb!.quickFix(FLAGGED_LINE, column, /adds lipschitz-lens to this project/);
    assert.match(picked, /^Add kernelConstraint: spectralNorm/);
    // The install runs as a task in a terminal the user sees.
    await wb!.page
      .locator('.terminal-tab, .single-terminal-tab, .terminal-tabs-entry', { hasText: /lipschitz-lens/ })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch(() => undefined);
    await wb!.shot('20-library-install-terminal');
    await waitFor(
      'npm to install lipschitz-lens',
      async () => existsSync(join(project, 'node_modules', 'lipschitz-lens', 'package.json')),
      240_000,
    );
    const text = wb!.page.locator('.editor-instance .monaco-editor .view-lines').first();
    await waitFor(
      'the fix to be applied after the install',
      // Monaco renders spaces as no-break spaces.
      async () => /kernelConstraint:\s+spectralNorm/.test((await text.innerText()).replace(/\u00a0/g, ' ')),
      60_000,
    ).catch(async (e: unknown) => {
      await wb!.shot('21-library-install-not-applied');
      const toasts = await wb!.notifications();
      await wb!.runCommand('Lipschitz Lens: Show Output');
      await delay(2000);
      const log = await wb!.page
        .locator('[id="workbench.panel.output"] .view-lines')
        .first()
        .innerText()
        .catch(() => '?');
      throw new Error(
        `${e instanceof Error ? e.message : String(e)}; notifications: ${JSON.stringify(toasts)}; output: ${log}`,
      );
    });
    await wb!.runCommand('File: Save');
    await waitFor(
      'the fixed file on disk',
      async () => /from 'lipschitz-lens'/.test(readFileSync(join(project, MODEL), 'utf8')),
      15_000,
    );
    await wb!.shot('21-library-install-fixed');

    const saved = readFileSync(join(project, MODEL), 'utf8');
    assert.match(saved, /^import \{ spectralNorm \} from 'lipschitz-lens';$/m);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // The dependency names the copy inside the project, not a file inside the extension.
    assert.match(manifest.dependencies['lipschitz-lens'] ?? '', /^file:vendor\/lipschitz-lens-[\d.]+\.tgz$/);
    assert.ok(existsSync(join(project, 'vendor')), 'no vendor/ copy of the tarball');
    assert.equal(typeErrors(project), '', 'the fixed project does not type-check');

    // And the diagnostic went: the layer now has its constraint.
    await waitFor(
      `the ${RULE} diagnostic on line ${FLAGGED_LINE + 1} to go`,
      async () => !(await wb!.problems()).some((r) => r.ruleId === RULE && r.line === FLAGGED_LINE + 1),
      30_000,
    );
  });
});
