/**
 * The packaged extension in a real VS Code (code-server 4.139 in headless Chromium), checked as a user sees it:
 * the Problems panel, a hover, a quick fix, an audit with its progress notification and report webview, and a
 * finding that reveals its source; the report at 700 and 1,400 px, recoloured by a theme switch; a CommonJS
 * model; the "Add @inputShape" fix of an audit that needed the shape. One pass in Restricted Mode (lint only; the
 * audit commands explain that they need trust), one trusted. A screenshot of every step goes to test-output/e2e/,
 * and the README's pictures as readme-*.png (`npm run test:e2e -- --update-screenshots` copies them to
 * e2e/screenshots/ after a passing run).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { after, before, describe, test } from 'node:test';
import { type CodeServer, startCodeServer } from './lib/code-server';
import { columnOf, expectedFindings, keys } from './lib/expect';
import { EXAMPLES, ROOT } from './lib/paths';
import { prepared } from './lib/prepared';
import { layoutProblems, type ReportLayout, sizeWebview } from './lib/report-layout';
import { delay, waitFor } from './lib/proc';
import { type ProblemRow, Workbench } from './lib/workbench';

interface ManifestCommand {
  command: string;
  title: string;
  category?: string;
}

/** Palette labels come from the manifest ("Category: Title"), so retitling a command needs no change here. */
function paletteTitle(id: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes?: { commands?: ManifestCommand[] };
  };
  const c = pkg.contributes?.commands?.find((x) => x.command === id);
  assert.ok(c, `package.json contributes no command ${id}`);
  return c.category ? `${c.category}: ${c.title}` : c.title;
}

const MODEL_FILE = 'mlp-classifier.ts';
const expected = expectedFindings(join(EXAMPLES, MODEL_FILE));
const flagged = expected[0]!;
/** The model's name, its lines (the `sequential({ ... })` call) and its layers' lines, in model order. */
const modelLines = ((): { name: string; first: number; last: number; layers: number[] } => {
  const lines = readFileSync(join(EXAMPLES, MODEL_FILE), 'utf8').split('\n');
  const first = lines.findIndex((l) => l.includes('sequential(')) + 1;
  const name = /(?:const|let|var)\s+(\w+)\s*=/.exec(lines[first - 1] ?? '')?.[1] ?? '';
  const last = lines.findIndex((l, i) => i >= first && l.startsWith('});')) + 1;
  const layers = lines.flatMap((l, i) => (i >= first && i < last && /layers\.\w+\(/.test(l) ? [i + 1] : []));
  return { name, first, last, layers };
})();

/** A CommonJS module (its exports an object holding the factory), as many projects still write them. */
const COMMONJS_FILE = 'commonjs-model.js';
const COMMONJS_SOURCE = `const tf = require('@tensorflow/tfjs');

function createModel() {
  return tf.sequential({
    layers: [tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [4] }), tf.layers.dense({ units: 2 })],
  });
}

module.exports = { createModel };
`;
/** A flow whose blocks do not say their input (a Flow has no input of its own): the audit needs @inputShape. */
const SHAPELESS_FILE = 'shapeless-flow.ts';
const SHAPELESS_SOURCE = `import { AdditiveCoupling, Flow } from 'lipschitz-lens';

export const flow = new Flow([new AdditiveCoupling({ hiddenUnits: 8 }), new AdditiveCoupling({ hiddenUnits: 8 })]);
`;

/** The 1-based line of `needle` in `source`. */
function lineOf(source: string, needle: string): number {
  const i = source.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `"${needle}" is not in the source`);
  return i + 1;
}

function lensRows(rows: readonly ProblemRow[], file: string): ProblemRow[] {
  return rows.filter((r) => r.file === file && r.ruleId !== undefined);
}

/** Waits until the Problems panel shows this file's Lipschitz Lens findings (the server lints after opening). */
async function problemsFor(
  wb: Workbench,
  file: string,
  count: (n: number) => boolean,
): Promise<ProblemRow[]> {
  let last: ProblemRow[] = [];
  return waitFor(
    `Problems to list ${file}'s findings`,
    async () => {
      last = await wb.problems();
      const rows = lensRows(last, file);
      return count(rows.length) ? rows : undefined;
    },
    60_000,
    1000,
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; the panel shows ${JSON.stringify(last)}`);
  });
}

/** The Restricted Mode explanation of an audit command (a warning toast). */
function explanation(wb: Workbench): Locator {
  return wb.page.locator('.notification-toast', { hasText: /disabled until you trust the folder/i }).first();
}

function manageTrust(wb: Workbench): Locator {
  return explanation(wb).locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first();
}

async function clearNotifications(wb: Workbench): Promise<void> {
  await wb.runCommand('Notifications: Clear All Notifications');
  await waitFor('the notifications to clear', async () => (await wb.notifications()).length === 0, 10_000);
}

/** Runs the audit command with the cursor at (line, column) of the active editor. */
async function auditAt(wb: Workbench, line: number, column: number): Promise<void> {
  await wb.page.mouse.move(5, 5);
  await wb.goTo(line, column);
  await wb.runCommand(paletteTitle('lipschitzLens.auditModel'));
}

/** A report that loaded its model: a verdict, and no "could not load" finding. */
async function assertAudited(frame: Frame): Promise<void> {
  const verdict = (await frame.locator('[data-testid=verdict]').innerText()).trim();
  assert.ok(verdict.length > 0, 'the report shows no verdict');
  const findings = await frame.locator('[data-testid=findings] li').allInnerTexts();
  const loadError = findings.find((f) => /could not load/i.test(f));
  assert.equal(loadError, undefined, `the audit could not load the model: ${loadError}`);
}

/** The colour the charts draw their axes in (the theme's chart foreground), as [r, g, b]. */
async function chartForeground(frame: Frame): Promise<[number, number, number]> {
  const css = await frame.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--vscode-charts-foreground, var(--vscode-foreground))';
    document.body.append(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  });
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
  assert.ok(m, `not an rgb colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Rec. 601 luma, 0-255: light text (a dark theme's) is above the middle, dark text below. */
function luminance([r, g, b]: [number, number, number]): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Opaque pixels of the first chart's canvas within 40 (sum of channel differences) of `rgb`. */
async function chartPixelsNear(frame: Frame, rgb: [number, number, number]): Promise<number> {
  return frame.evaluate(([r, g, b]) => {
    const c = document.querySelector<HTMLCanvasElement>('[data-chart] canvas')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (d[i + 3]! > 200 && Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - g) + Math.abs(d[i + 2]! - b) < 40)
        n++;
    return n;
  }, rgb);
}

async function session(trusted: boolean, name: string): Promise<{ cs: CodeServer; wb: Workbench }> {
  const cs = await startCodeServer(prepared(), { trusted, name });
  try {
    const wb = await Workbench.open(cs.url);
    return { cs, wb };
  } catch (e) {
    await cs.stop();
    throw e;
  }
}

describe('VS Code (code-server) in Restricted Mode', () => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async () => {
    ({ cs, wb } = await session(false, 'restricted'));
    await wb.shot('01-restricted-workbench');
  });
  after(async () => {
    await wb?.close();
    await cs?.stop();
  });

  test('static linting works: the Problems panel lists the expected findings', async () => {
    await wb!.openFile(MODEL_FILE);
    const rows = await problemsFor(wb!, MODEL_FILE, (n) => n >= expected.length);
    await wb!.shot('02-restricted-problems');
    assert.deepEqual(keys(rows.map((r) => ({ line: r.line, ruleId: r.ruleId! }))), keys(expected));
  });

  test("a finding's rule link opens the rule's page from the extension, offline", async () => {
    const ruleId = flagged.ruleId;
    const row = wb!.page.locator('.markers-panel .monaco-list-row', { hasText: ruleId }).first();
    // The Problems panel renders the code as a link (VS Code's Link widget) to the diagnostic's codeDescription.
    await row.locator('a.monaco-link').first().click();
    const tab = wb!.page.locator(`.tab[aria-label^="Preview ${ruleId}.md"]`).first();
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
    const preview = await wb!.webviewFrame(`h1#${ruleId}, h1:has-text("${ruleId}")`, 30_000);
    assert.equal((await preview.locator('h1').first().innerText()).trim(), ruleId);
    await wb!.shot('02b-rule-page');
    await tab.click();
    await wb!.runCommand('View: Close Editor');
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  });

  test('the audit command is offered, explains that audits need trust, and starts nothing', async () => {
    const audit = paletteTitle('lipschitzLens.auditModel');
    const listed = await wb!.paletteEntries('Lipschitz Lens');
    assert.ok(listed.length > 0, 'no Lipschitz Lens command in the palette: is the extension active?');
    assert.ok(
      listed.includes(audit),
      `"${audit}" is not offered in Restricted Mode: ${JSON.stringify(listed)}`,
    );
    await wb!.page.mouse.move(5, 5);
    await wb!.goTo(flagged.line, 4);
    await wb!.runCommand(audit);
    const toast = explanation(wb!);
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    // A trial click waits for the button to be visible and stable: the toast has finished sliding in.
    await manageTrust(wb!).click({ trial: true, timeout: 10_000 });
    await wb!.shot('03-restricted-audit-explained');
    assert.match(await toast.innerText(), /run this workspace's model code/i);
    // Absence needs a window to look in: an audit would have shown its progress toast within it.
    await delay(2000);
    const toasts = await wb!.notifications();
    assert.ok(!toasts.some((t) => /Auditing/i.test(t)), `an audit started: ${JSON.stringify(toasts)}`);
    assert.equal(
      await wb!.page.locator('.tab', { hasText: /Stability/ }).count(),
      0,
      'a report panel opened',
    );
  });

  test('the CodeLens says trust is required and leads to the same explanation', async () => {
    await clearNotifications(wb!);
    const lens = wb!.page.locator('.codelens-decoration a', { hasText: 'Audit stability' }).first();
    await lens.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match(await lens.innerText(), /trust required/);
    await lens.click();
    await explanation(wb!).waitFor({ state: 'visible', timeout: 15_000 });
  });

  test('the status item says why audits are disabled', async () => {
    await clearNotifications(wb!);
    const item = wb!.page.locator('.statusbar-item', { hasText: 'Lipschitz' }).first();
    await item.hover();
    const tip = wb!.page.locator('.workbench-hover, .monaco-hover').filter({ hasText: /trust/i }).first();
    await tip.waitFor({ state: 'visible', timeout: 10_000 });
    await wb!.shot('03-restricted-status-tooltip');
    assert.match(await tip.innerText(), /audits disabled/i);
  });

  test('"Manage Workspace Trust" grants trust, and the lens offers the audit without a reload', async () => {
    await wb!.runCommand(paletteTitle('lipschitzLens.auditModel'));
    await manageTrust(wb!).click();
    const trust = wb!.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.click({ timeout: 15_000 });
    await wb!.shot('03-trust-granted');
    // The trust editor opens as a modal editor: close it and go back to the model.
    await waitFor(
      'Restricted Mode to end',
      async () => (await wb!.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).count()) === 0,
      15_000,
    );
    await wb!.page.keyboard.press('Escape');
    await wb!.openFile(MODEL_FILE);
    const lens = wb!.page.locator('.codelens-decoration a', { hasText: 'Audit stability' }).first();
    await waitFor(
      'the lens to drop "(trust required)"',
      async () => !/trust required/.test(await lens.innerText().catch(() => 'trust required')),
      20_000,
    );
    await wb!.shot('03-trust-granted-lens');
  });
});

describe('VS Code (code-server), trusted workspace', () => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;

  before(async () => {
    ({ cs, wb } = await session(true, 'trusted'));
    writeFileSync(join(cs.workspace, COMMONJS_FILE), COMMONJS_SOURCE);
    writeFileSync(join(cs.workspace, SHAPELESS_FILE), SHAPELESS_SOURCE);
    await wb.openFile(MODEL_FILE);
  });
  after(async () => {
    await wb?.close();
    await cs?.stop();
  });

  test('the Problems panel lists the expected findings', async () => {
    const rows = await problemsFor(wb!, MODEL_FILE, (n) => n >= expected.length);
    await wb!.shot('04-problems');
    assert.deepEqual(keys(rows.map((r) => ({ line: r.line, ruleId: r.ruleId! }))), keys(expected));
  });

  test('hovering a flagged layer shows its Lipschitz bounds', async () => {
    const column = columnOf(join(cs!.workspace, MODEL_FILE), flagged.line, 'dense');
    const text = await wb!.hover(flagged.line, column);
    await wb!.shot('05-hover');
    await wb!.shot('readme-hover-bounds');
    assert.match(text, /Lipschitz Lens/);
    assert.match(text, /forward/i);
    assert.match(text, /inverse/i);
  });

  test('the audit command shows progress and opens the report with a chart and findings', async () => {
    await wb!.page.mouse.move(5, 5);
    await wb!.goTo(flagged.line, 4);
    await wb!.runCommand(paletteTitle('lipschitzLens.auditModel'));
    const toast = wb!.page.locator('.notification-toast', { hasText: /Auditing/i }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    await wb!.shot('06-audit-progress');

    // The report is a webview: an iframe holding the active-frame iframe that holds the page.
    const frame = await wb!.webviewFrame('[data-testid=verdict]', 180_000).catch(async (e: unknown) => {
      await wb!.shot('07-report-missing');
      const toasts = await wb!.notifications();
      throw new Error(
        `${e instanceof Error ? e.message : String(e)}; notifications: ${JSON.stringify(toasts)}`,
      );
    });
    await wb!.shot('07-report');
    const findings = await frame.locator('[data-testid=findings] li').allInnerTexts();
    const loadError = findings.find((f) => /could not load the model/i.test(f));
    assert.equal(loadError, undefined, `the audit could not load the model: ${loadError}`);
    await frame.locator('[data-chart] canvas').first().waitFor({ state: 'visible', timeout: 20_000 });
    await frame.locator('[data-chart]').first().scrollIntoViewIfNeeded();
    await wb!.shot('07-report');
    const verdict = (await frame.locator('[data-testid=verdict]').innerText()).trim();
    assert.ok(verdict.length > 0, 'the report shows no verdict');
    const chart = await frame.locator('[data-chart] canvas').first().boundingBox();
    assert.ok(
      chart && chart.width > 50 && chart.height > 50,
      `the chart is not drawn: ${JSON.stringify(chart)}`,
    );
    assert.ok(findings.length > 0, 'the report lists no findings (not even "No findings.")');
    assert.ok(
      await wb!.page
        .locator('.tab', { hasText: /Stability/ })
        .first()
        .isVisible(),
      'no "Stability: <model>" editor tab',
    );
  });

  test('clicking a finding or a block in the report reveals its source line', async () => {
    const frame = await wb!.webviewFrame('[data-testid=findings]', 10_000);
    // Move the cursor away first so the reveal is visible as a change.
    await wb!.page.locator('.tab', { hasText: MODEL_FILE }).first().click();
    await wb!.goTo(1, 0);
    const blocks = await frame
      .locator('[data-testid=blocks] tr[data-block]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-block')));
    // The classifier is an ordinary model: audited for its forward map only, it may rightly have no findings.
    // Then a block row is what points at source; a finding about one block ("(block dense_Dense2)") belongs on
    // that block's layer, and the blocks table lists them in model order, as the file does.
    const findings = frame.locator('[data-testid=findings] li.clickable');
    const rows = frame.locator('[data-testid=blocks] tr.clickable[data-block]');
    const useFinding = (await findings.count()) > 0;
    const item = useFinding ? findings.first() : rows.first();
    assert.ok(useFinding || (await rows.count()) > 0, 'nothing in the report points at source');
    const file = basename((await item.getAttribute('data-file')) ?? '');
    const block = useFinding
      ? /\(block (\S+)\)/.exec(await item.innerText())?.[1]
      : ((await item.getAttribute('data-block')) ?? undefined);
    const blockLine = block ? modelLines.layers[blocks.indexOf(block)] : undefined;
    // A row's proof cell may hold an expander, which opens rather than reveals: click a number cell.
    await (useFinding ? item : item.locator('td.number').first()).click();
    const at = await waitFor(
      'the editor to reveal the finding',
      async () => {
        const c = await wb!.cursor();
        return c.line !== 1 ? c : undefined;
      },
      15_000,
    );
    await wb!.shot('08-finding-revealed');
    assert.equal(await wb!.activeTab(), file || MODEL_FILE);
    assert.ok(
      at.line >= modelLines.first && at.line <= modelLines.last,
      `revealed line ${at.line} is outside the model (lines ${modelLines.first}-${modelLines.last})`,
    );
    if (blockLine !== undefined) {
      assert.equal(at.line, blockLine, `block ${block} revealed line ${at.line}, not its layer`);
    }
  });

  test('the report fits a 700 px and a 1,400 px panel: no sideways overflow, charts span the width', async (t) => {
    const page = wb!.page;
    const frame = await wb!.reportFrame(modelLines.name, 10_000);
    await page
      .locator('.tab', { hasText: `Stability: ${modelLines.name}` })
      .first()
      .click();
    // The report's group alone in the editor area, without the side bar: the window's width sets the panel's.
    await wb!.runCommand('View: Toggle Primary Side Bar Visibility');
    await wb!.runCommand('View: Toggle Maximize Editor Group');
    const seen: ReportLayout[] = [];
    try {
      for (const width of [700, 1400]) {
        const l = await sizeWebview(page, frame, width);
        seen.push(l);
        t.diagnostic(`report at ${width} px: ${JSON.stringify(l)}`);
        await wb!.shot(`07b-report-${width}`);
        assert.deepEqual(layoutProblems(l), [], `at ${width} px: ${JSON.stringify(l)}`);
      }
      const [narrow, wide] = seen.map((l) => l.charts[0]!.canvas);
      assert.ok(wide! > narrow! + 600, `the chart stays ${narrow} -> ${wide} px as the panel doubles`);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
      await wb!.runCommand('View: Toggle Maximize Editor Group');
      await wb!.runCommand('View: Toggle Primary Side Bar Visibility');
      await page.locator('.tab', { hasText: MODEL_FILE }).first().click();
    }
  });

  test('a theme switch recolours the open report, with no new audit', async () => {
    const frame = await wb!.reportFrame(modelLines.name, 10_000);
    // The README's pictures: the model beside the top of its report, without the side bar and the Problems
    // panel, so the report has about 700 px.
    await wb!.goTo(1, 0);
    await wb!.runCommand('View: Toggle Panel Visibility');
    await wb!.runCommand('View: Toggle Primary Side Bar Visibility');
    await frame.evaluate(() => window.scrollTo(0, 0));
    // Whatever theme the browser's preference gave the workbench, start from a dark one.
    await wb!.colorTheme(/^(Default )?Dark Modern$/, 'Dark Modern', 'dark');
    const darkInk = await waitFor(
      'the report to take the dark theme',
      async () => {
        const ink = await chartForeground(frame);
        return luminance(ink) > 128 ? ink : undefined;
      },
      15_000,
    );
    const darkPixels = await waitFor(
      'the charts to draw in the dark theme',
      async () => {
        const n = await chartPixelsNear(frame, darkInk);
        return n > 50 ? n : undefined;
      },
      10_000,
    );
    await wb!.shot('readme-report-webview-dark');
    // A page reload or a new audit would lose this mark and change the report's time.
    await frame.evaluate(() => {
      (window as unknown as { e2eMark?: string }).e2eMark = 'before the switch';
    });
    const subtitle = await frame.locator('.subtitle').innerText();

    await wb!.colorTheme(/^(Default )?Light Modern$/, 'Light Modern', 'light');
    const lightInk = await waitFor(
      'the report to take the light theme',
      async () => {
        const ink = await chartForeground(frame);
        return luminance(ink) < 128 ? ink : undefined;
      },
      15_000,
    );
    // The canvas is redrawn: the axes' ink is the light theme's colour, none of the dark theme's is left.
    const lightPixels = await waitFor(
      'the charts to redraw',
      async () => {
        const n = await chartPixelsNear(frame, lightInk);
        return n > 50 ? n : undefined;
      },
      10_000,
    ).catch(async () => chartPixelsNear(frame, lightInk));
    const leftDark = await chartPixelsNear(frame, darkInk);
    await wb!.shot('readme-report-webview-light');
    await wb!.runCommand('View: Toggle Primary Side Bar Visibility');
    await wb!.runCommand('View: Toggle Panel Visibility');
    assert.ok(lightPixels > 50, `${lightPixels} pixels of the light axis colour ${lightInk.join(',')}`);
    assert.ok(leftDark < darkPixels / 10, `${leftDark} of ${darkPixels} dark-theme pixels are left`);
    assert.equal(
      await frame.evaluate(() => (window as unknown as { e2eMark?: string }).e2eMark),
      'before the switch',
      'the report page was reloaded',
    );
    assert.equal(await frame.locator('.subtitle').innerText(), subtitle, 'the report is a new audit');
    const toasts = await wb!.notifications();
    assert.ok(!toasts.some((x) => /Auditing/i.test(x)), `an audit started: ${JSON.stringify(toasts)}`);
  });

  test('the quick fix applies and its diagnostic goes', async () => {
    const before = await problemsFor(wb!, MODEL_FILE, (n) => n >= expected.length);
    const rule = flagged.ruleId;
    const ofRule = (rows: ProblemRow[]): number => rows.filter((r) => r.ruleId === rule).length;
    const column = columnOf(join(cs!.workspace, MODEL_FILE), flagged.line, 'dense');
    // The rule's fix (preferred) rather than the "Disable ... for this line" suggestion.
    const picked = await wb!.quickFix(flagged.line, column, /^(?!Disable).*(Add|Replace|Use|Lower)/);
    await wb!.shot('09-quick-fix-applied');
    const after = await problemsFor(wb!, MODEL_FILE, (n) => n < before.length).catch((e: unknown) => {
      throw new Error(`after "${picked}": ${e instanceof Error ? e.message : String(e)}`);
    });
    await wb!.shot('10-problems-after-fix');
    assert.equal(ofRule(after), ofRule(before) - 1, `"${picked}" did not remove one ${rule} diagnostic`);
    const text = await wb!.page.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
    assert.match(text, /kernelConstraint/, 'the fixed layer has no kernelConstraint');
  });
  test('a CommonJS module (module.exports = { createModel }) audits', async () => {
    await wb!.openFile(COMMONJS_FILE);
    await auditAt(wb!, lineOf(COMMONJS_SOURCE, 'function createModel'), 9);
    const frame = await wb!.reportFrame('createModel', 180_000);
    await wb!.shot('11-commonjs-report');
    await assertAudited(frame);
  });

  test('"Add @inputShape" makes an audit that needed the input shape succeed', async () => {
    await clearNotifications(wb!);
    await wb!.openFile(SHAPELESS_FILE);
    const line = lineOf(SHAPELESS_SOURCE, 'export const flow');
    const column = SHAPELESS_SOURCE.split('\n')[line - 1]!.indexOf('flow');
    await auditAt(wb!, line, column);
    const toast = wb!.page
      .locator('.notification-toast', { hasText: /input shape of flow is unknown/i })
      .first();
    await toast.waitFor({ state: 'visible', timeout: 180_000 });
    await wb!.shot('12-input-shape-needed');
    assert.ok(
      await toast.locator('.monaco-button', { hasText: 'Add @inputShape' }).isVisible(),
      'the notification offers no "Add @inputShape"',
    );
    // A step for the user, not a failed model: the status item is amber, not red.
    const status = wb!.page.locator('.statusbar-item', { hasText: 'Lipschitz' }).first();
    assert.match(await status.innerText(), /input shape needed/);
    assert.match((await status.getAttribute('class')) ?? '', /warning-kind/);
    assert.doesNotMatch((await status.getAttribute('class')) ?? '', /error-kind/);
    await clearNotifications(wb!);

    const picked = await wb!.quickFix(line, column, /Add @inputShape/);
    await wb!.shot('13-input-shape-fix');
    const lines = wb!.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    // The editor renders spaces as no-break spaces.
    const editorText = async (): Promise<string> => (await lines.innerText()).replace(/\u00a0/g, ' ');
    // Nothing in the code gives the shape: the fix writes a placeholder, and the user types the shape over it.
    const tag = '/** @inputShape [n] */';
    await waitFor('the tag', async () => (await editorText()).includes(tag), 10_000).catch(async () => {
      throw new Error(`"${picked}" wrote no ${tag}: ${await editorText()}`);
    });
    await wb!.goTo(line, tag.indexOf('[n]') + 1);
    await wb!.page.keyboard.press('Shift+ArrowRight');
    await wb!.page.keyboard.type('4');
    await wb!.page.keyboard.press('Control+S');
    assert.match(await editorText(), /@inputShape \[4\]/);

    await auditAt(wb!, line + 1, column);
    const frame = await wb!.reportFrame('flow', 180_000);
    await wb!.shot('14-input-shape-report');
    await assertAudited(frame);
    await waitFor(
      'the status item to leave "input shape needed"',
      async () => !/input shape needed/.test(await status.innerText()),
      10_000,
    );
  });
});
