/**
 * Drives the VS Code workbench in Chromium the way a user does: the command palette, quick open, go to line,
 * the Problems panel, the mouse for hovers, Ctrl+. for quick fixes, the status bar for the cursor. Every wait
 * is bounded. Predicates are functions or locators, never strings: the workbench's CSP bans eval.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Frame, type Locator, type Page } from 'playwright-core';
import { OUT_DIR } from './paths';
import { delay, waitFor } from './proc';

export interface ProblemRow {
  file: string;
  line: number;
  column: number;
  ruleId: string | undefined;
  text: string;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export class Workbench {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
  ) {}

  static async open(url: string): Promise<Workbench> {
    const profile = mkdtempSync(join(tmpdir(), 'll-e2e-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      timeout: 60_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--no-default-browser-check',
      ],
    });
    context.setDefaultTimeout(20_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const wb = new Workbench(context, page, profile);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    // The explorer shows once the folder is open: the workbench is usable from there.
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
    return wb;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profile, { recursive: true, force: true });
  }

  async shot(name: string): Promise<string> {
    mkdirSync(OUT_DIR, { recursive: true });
    const path = join(OUT_DIR, `${name}.png`);
    await this.page.screenshot({ path, timeout: 15_000 }).catch(() => undefined);
    return path;
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens the palette with `value` typed in (">" for commands, ":" for lines, a file name for quick open). */
  private async palette(value: string): Promise<Locator> {
    const input = this.quickInput.locator('input.input');
    for (let attempt = 1; ; attempt++) {
      await this.escape();
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible' });
      try {
        // F1 pressed while the last picker was still closing can leave this one inert, then hidden: open it anew.
        await input.fill(value, { timeout: attempt < 3 ? 5000 : undefined });
        return input;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  }

  async escape(): Promise<void> {
    for (let i = 0; i < 2 && (await this.quickInput.isVisible().catch(() => false)); i++) {
      await this.page.keyboard.press('Escape');
    }
  }

  /** Runs a command by its palette title (the exact label, "Category: Title"). */
  async runCommand(title: string): Promise<void> {
    await this.palette(`>${title}`);
    const row = this.quickInput
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: title }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 15_000 }).catch(async () => {
      const shown = await this.quickInput.locator('.monaco-list-row').allInnerTexts();
      throw new Error(`command "${title}" is not in the palette; it shows: ${JSON.stringify(shown)}`);
    });
    await row.click();
  }

  /** Titles the palette lists for `query` (to tell "hidden by its when clause" from "not registered"). */
  async paletteEntries(query: string): Promise<string[]> {
    await this.palette(`>${query}`);
    await delay(1000);
    const labels = await this.quickInput.locator('.monaco-list-row .label-name').allInnerTexts();
    await this.escape();
    return labels;
  }

  async openFile(relPath: string): Promise<void> {
    await this.palette(relPath);
    const base = relPath.split('/').at(-1)!;
    const row = this.quickInput.locator('.monaco-list-row', { hasText: base }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tab.active', { hasText: base }).waitFor({ timeout: 20_000 });
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
  }

  /** Moves the cursor (1-based line, 0-based column, as the rest of the tests count). */
  async goTo(line: number, column: number): Promise<void> {
    await this.palette(`:${line}:${column + 1}`);
    await this.page.keyboard.press('Enter');
    await waitFor(
      `cursor at ${line}:${column + 1}`,
      async () => {
        const c = await this.cursor();
        return c.line === line && c.column === column + 1;
      },
      10_000,
    );
  }

  /** The cursor as the status bar shows it ("Ln 8, Col 5"). */
  async cursor(): Promise<{ line: number; column: number }> {
    const text = await this.page.locator('[id="status.editor.selection"]').innerText({ timeout: 5000 });
    const m = /Ln (\d+), Col (\d+)/.exec(text);
    if (!m) throw new Error(`no cursor in the status bar: "${text}"`);
    return { line: Number(m[1]), column: Number(m[2]) };
  }

  /** The file name of the focused editor group's active tab (each group has an active tab). */
  async activeTab(): Promise<string> {
    const tab = this.page.locator('.editor-group-container.active .tab.active').first();
    return ((await tab.getAttribute('aria-label')) ?? '').split(',')[0]!.trim();
  }

  async showProblems(): Promise<void> {
    if (
      await this.page
        .locator('.markers-panel')
        .isVisible()
        .catch(() => false)
    )
      return;
    await this.runCommand('View: Toggle Problems (Errors, Warnings, Infos)').catch(() =>
      this.runCommand('Problems: Focus on Problems View'),
    );
    await this.page.locator('.markers-panel').waitFor({ state: 'visible' });
  }

  /** The Problems panel's rows as a user reads them: file rows, then "message source(code) [Ln, Col]" rows. */
  async problems(): Promise<ProblemRow[]> {
    await this.showProblems();
    const texts = await this.page
      .locator('.markers-panel .monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
    const out: ProblemRow[] = [];
    let file = '';
    for (const text of texts) {
      const pos = /\[Ln (\d+), Col (\d+)\]/.exec(text);
      if (!pos) {
        // A file row: "name.ts [folder] count".
        file = text.split(' ')[0] ?? '';
        continue;
      }
      // "source(code)": the parentheses are CSS pseudo-elements, absent from innerText.
      const code = /lipschitz-lens\s*\(?([\w-]+)\)?\s*\[Ln/.exec(text);
      out.push({ file, line: Number(pos[1]), column: Number(pos[2]), ruleId: code?.[1], text });
    }
    return out;
  }

  /** Hovers the mouse over the text at (line, column) and returns the hover's text. */
  async hover(line: number, column: number): Promise<string> {
    await this.goTo(line, column);
    const box = await this.page.locator('.editor-instance .monaco-editor .cursor').first().boundingBox();
    if (!box) throw new Error('no cursor on screen to hover at');
    await this.page.mouse.move(box.x + 4, box.y + box.height / 2);
    const hover = this.page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /\S/ }).first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 8000 });
    } catch {
      // Fall back to the keyboard ("Show or Focus Hover", Ctrl+K Ctrl+I) if the mouse landed between tokens.
      await this.page.keyboard.press('Control+K');
      await this.page.keyboard.press('Control+I');
      await hover.waitFor({ state: 'visible', timeout: 8000 });
    }
    // Hover parts arrive as providers answer: give the language server's part a moment to join.
    await waitFor(
      'the Lipschitz Lens hover',
      async () => /Lipschitz Lens/.test(await hover.innerText()),
      10_000,
    ).catch(() => undefined);
    return hover.innerText();
  }

  /** Opens the quick-fix menu at (line, column) and picks the first action whose title matches. */
  async quickFix(line: number, column: number, title: RegExp): Promise<string> {
    await this.page.mouse.move(5, 5);
    await this.goTo(line, column);
    await this.page.keyboard.press('Control+.');
    const menu = this.page.locator('.action-widget:not(.action-list-submenu-panel)').first();
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const item = menu.locator('.monaco-list-row', { hasText: title }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
      const shown = await menu.locator('.monaco-list-row').allInnerTexts();
      throw new Error(`no quick fix matching ${title}; the menu shows ${JSON.stringify(shown)}`);
    });
    const picked = (await item.innerText()).trim();
    await item.click();
    return picked;
  }

  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast').allInnerTexts();
  }

  /** The report webview of `model` (its heading names it): one panel per audited model, so pick by name. */
  async reportFrame(model: string, timeoutMs: number): Promise<Frame> {
    return waitFor(
      `the report of ${model}`,
      async () => {
        for (const f of this.page.frames()) {
          if (f === this.page.mainFrame()) continue;
          const heading = f.locator('header h1').first();
          if (
            (await f
              .locator('[data-testid=verdict]')
              .count()
              .catch(() => 0)) === 0
          )
            continue;
          if ((await heading.innerText({ timeout: 1000 }).catch(() => '')).trim() === model) return f;
        }
        return undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** Picks a colour theme as a user does ("Preferences: Color Theme", its name, Enter) and waits for it. */
  async colorTheme(label: RegExp, typed: string, kind: 'light' | 'dark'): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(typed);
    const row = this.quickInput
      .locator('.monaco-list-row', { has: this.page.locator('.label-name', { hasText: label }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
      const shown = await this.quickInput.locator('.monaco-list-row').allInnerTexts();
      throw new Error(`no theme ${label} in the picker; it shows ${JSON.stringify(shown)}`);
    });
    await row.click();
    // The workbench's root carries the theme's kind: `vs` for light themes, `vs-dark` for dark ones.
    const root = this.page.locator(kind === 'light' ? '.monaco-workbench.vs' : '.monaco-workbench.vs-dark');
    await root.waitFor({ state: 'attached', timeout: 15_000 });
  }

  /** The (nested) frame of a webview whose document holds `selector`. */
  async webviewFrame(selector: string, timeoutMs: number): Promise<Frame> {
    return waitFor(
      `a webview frame with ${selector}`,
      async () => {
        for (const f of this.page.frames()) {
          if (f === this.page.mainFrame()) continue;
          if (
            (await f
              .locator(selector)
              .count()
              .catch(() => 0)) > 0
          )
            return f;
        }
        return undefined;
      },
      timeoutMs,
      500,
    );
  }
}
