/**
 * Issue 15's editor view in a real VS Code (code-server in headless Chromium): a training script started in the
 * integrated terminal writes a run file with the TrainingMonitor (the library build, core/dist), the Training
 * monitor webview shows it and updates while it runs (two screenshots at different steps), the threshold
 * notification appears, and a click on a block's row opens the line of the script that names the block. After a
 * window reload the view reopens with the same run.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CodeServer, startCodeServer } from './lib/code-server';
import { ROOT } from './lib/paths';
import { prepared } from './lib/prepared';
import { delay, waitFor } from './lib/proc';
import { Workbench } from './lib/workbench';

const SCRIPT = 'train-monitored.js';
const BLOCK = 'coupling_0';
const STEPS = 20;

/**
 * A flow whose affine coupling is driven apart step by step (weights x1.5), measured every step, slowly enough
 * (1.5 s a step) for the view to be seen between two steps.
 */
function trainingScript(): string {
  const lib = JSON.stringify(join(ROOT, 'core', 'dist', 'index.js'));
  return `const tf = require('@tensorflow/tfjs');
const { AdditiveCoupling, AffineCoupling, Flow, TrainingMonitor } = require(${lib});

async function main() {
  const affine = new AffineCoupling({ scale: 'exp', hiddenUnits: 8, zeroInit: false, seed: 1, name: '${BLOCK}' });
  const flow = new Flow([affine, new AdditiveCoupling({ hiddenUnits: 8, zeroInit: false, seed: 2, name: 'additive_1' })]);
  const data = tf.randomNormal([8, 4], 0, 1, 'float32', 7);
  const monitor = new TrainingMonitor(flow, { data, dir: '.lipschitz-lens/runs', everySteps: 1, name: 'e2e-flow' });
  for (let step = 0; step < ${STEPS}; step++) {
    monitor.step(step);
    for (const w of affine.weights) w.write(tf.tidy(() => tf.mul(w.read(), 1.5)));
    await new Promise((r) => setTimeout(r, 1500));
  }
  monitor.end();
  console.log('training done');
}
main();
`;
}

describe('Training monitor view (code-server)', () => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async () => {
    cs = await startCodeServer(prepared(), { trusted: true, name: 'monitor' });
    writeFileSync(join(cs.workspace, SCRIPT), trainingScript());
    wb = await Workbench.open(cs.url);
    await wb.openFile(SCRIPT);
  });
  after(async () => {
    await wb?.close();
    await cs?.stop();
  });

  test('the view follows a run written by a script in the terminal, and a block opens its source', async () => {
    const w = wb!;
    await w.runCommand('Terminal: Create New Terminal');
    await w.page.locator('.terminal-wrapper.active .xterm').first().waitFor({ timeout: 30_000 });
    await w.page.locator('.terminal-wrapper.active .xterm').first().click();
    await w.page.keyboard.type(`node ${SCRIPT}\n`, { delay: 20 });
    const runs = join(cs!.workspace, '.lipschitz-lens', 'runs');
    await waitFor(
      'the script to write its run file',
      async () => existsSync(runs) && readdirSync(runs).some((f) => f.endsWith('.jsonl')),
      90_000,
      500,
    );

    // Back to the editor: with the terminal focused, the picker sometimes never showed (nor did notifications).
    await w.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    // The quick pick preselects the newest run: accept it.
    const pick = w.page.locator('.quick-input-widget', { hasText: 'Training runs to show side by side' });
    const showPick = async (timeout: number): Promise<void> => {
      await w.runCommand('Lipschitz Lens: Show Training Monitor');
      await pick.locator('.monaco-list-row').first().waitFor({ timeout });
    };
    // One retry: in about one run in four the workbench showed no overlay (no picker, no toast) for a while.
    await showPick(10_000)
      .catch(async () => {
        await w.shot('monitor-00-no-pick-first');
        await w.escape();
        await showPick(20_000);
      })
      .catch(async (e: unknown) => {
        await w.shot('monitor-00-no-pick');
        await w.escape();
        await w.runCommand('Lipschitz Lens: Show Output');
        await delay(3000);
        const log = await w.page
          .locator('[id="workbench.panel.output"] .view-lines')
          .first()
          .innerText()
          .catch(() => '?');
        console.log(`# output: ${log}`);
        throw new Error(
          `${e instanceof Error ? e.message : String(e)}; notifications: ${JSON.stringify(await w.notifications())}`,
        );
      });
    await w.shot('monitor-00-pick');
    await w.page.keyboard.press('Enter');
    const frame = await w.webviewFrame('[data-testid=run-blocks]', 60_000).catch(async (e: unknown) => {
      await w.shot('monitor-missing');
      const toasts = await w.notifications();
      const frames = await Promise.all(
        w.page.frames().map((f) =>
          f
            .locator('body')
            .innerText({ timeout: 2000 })
            .catch(() => '?'),
        ),
      );
      throw new Error(
        `${e instanceof Error ? e.message : String(e)}; notifications: ${JSON.stringify(toasts)}; frames: ${JSON.stringify(frames.map((t) => t.slice(0, 300)))}`,
      );
    });
    const stepOf = async (): Promise<number> =>
      Number(await frame.locator(`tr[data-block=${BLOCK}] td`).nth(1).innerText());
    const first = await waitFor(
      'a measured step',
      async () => {
        const s = await stepOf().catch(() => NaN);
        return Number.isFinite(s) ? s : undefined;
      },
      30_000,
    );
    await frame.locator('[data-chart=run-inverse] canvas').first().waitFor({ timeout: 20_000 });
    await w.shot('monitor-01-early');
    const later = await waitFor(
      'the view to show a later step',
      async () => {
        const s = await stepOf().catch(() => NaN);
        return s >= first + 2 ? s : undefined;
      },
      60_000,
      500,
    );
    await w.shot('monitor-02-later');
    assert.ok(later > first);

    // The affine coupling's inverse crosses the run's threshold (100): one notification names the block.
    const toast = w.page.locator('.notification-toast', { hasText: `block ${BLOCK}: inverse Lipschitz` });
    await toast.first().waitFor({ state: 'visible', timeout: 60_000 });
    await w.shot('monitor-03-alert');
    assert.equal(await toast.count(), 1);

    await frame.locator(`tr[data-block=${BLOCK}]`).click();
    await waitFor('the script to be revealed', async () => (await w.activeTab()) === SCRIPT, 20_000);
    const line =
      trainingScript()
        .split('\n')
        .findIndex((l) => l.includes(`name: '${BLOCK}'`)) + 1;
    const at = await waitFor(
      `the cursor on line ${line}`,
      async () => {
        const c = await w.cursor();
        return c.line === line ? c : undefined;
      },
      15_000,
    );
    await w.shot('monitor-04-block-source');
    assert.equal(at.line, line);
  });

  test('after a window reload the monitor reopens with the run it showed', async () => {
    const w = wb!;
    await w.runCommand('Developer: Reload Window');
    // The reloaded page: its webview comes back from the panel's saved state, without picking the run again.
    const frame = await w.webviewFrame('[data-testid=run-blocks]', 90_000);
    await frame.locator(`tr[data-block=${BLOCK}]`).waitFor({ timeout: 30_000 });
    await w.shot('monitor-05-restored');
    assert.equal(
      await w.page.locator('.quick-input-widget', { hasText: 'Training runs to show side by side' }).count(),
      0,
    );
  });
});
