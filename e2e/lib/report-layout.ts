/**
 * The report webview's layout as the workbench shows it: the width its panel gives it, whether anything
 * overflows sideways, and whether each chart spans its host. The unit-level check
 * (webview/test/report-layout.test.ts) measures the same things on the page alone; this one measures the real
 * panel, sized through the browser window.
 */
import type { Frame, Page } from 'playwright-core';
import { waitFor } from './proc';

export interface ReportLayout {
  /** The webview's width (its window's innerWidth). */
  width: number;
  scrollWidth: number;
  clientWidth: number;
  /** Per table: its width and the width of the box it must fit in. */
  tables: Array<{ testid: string; width: number; room: number }>;
  /** Per chart host: its width and its canvas's CSS width. */
  charts: Array<{ id: string; host: number; canvas: number }>;
}

export async function reportLayout(frame: Frame): Promise<ReportLayout> {
  return frame.evaluate(() => {
    const doc = document.documentElement;
    // Against the box it sits in: a scroll box around a table that does not fit hides the overflow from the page.
    const tables = Array.from(document.querySelectorAll('table:not(.u-legend)')).map((t) => ({
      testid: t.getAttribute('data-testid') ?? '',
      width: t.getBoundingClientRect().width,
      room: (t.parentElement as HTMLElement).clientWidth,
    }));
    const charts = Array.from(document.querySelectorAll<HTMLElement>('[data-chart]')).map((h) => ({
      id: h.dataset.chart ?? '',
      host: h.clientWidth,
      canvas: h.querySelector('canvas')?.getBoundingClientRect().width ?? 0,
    }));
    return {
      width: window.innerWidth,
      scrollWidth: doc.scrollWidth,
      clientWidth: doc.clientWidth,
      tables,
      charts,
    };
  });
}

/** What does not fit: an empty list when the report fits its panel and every chart spans its host. */
export function layoutProblems(l: ReportLayout): string[] {
  const out: string[] = [];
  if (l.scrollWidth > l.clientWidth) out.push(`the page is ${l.scrollWidth} px wide in ${l.clientWidth} px`);
  for (const t of l.tables) {
    if (t.width > t.room + 1) out.push(`table ${t.testid} is ${t.width} px wide in ${t.room} px`);
  }
  if (l.charts.length === 0) out.push('no chart');
  for (const c of l.charts) {
    if (Math.abs(c.canvas - c.host) > 2)
      out.push(`chart ${c.id}: canvas ${c.canvas} px in a ${c.host} px host`);
    // Spanning the width: the host is the page's width less its padding.
    if (c.host < l.clientWidth - 40)
      out.push(`chart ${c.id}: host ${c.host} px in a ${l.clientWidth} px page`);
  }
  return out;
}

/**
 * Sizes the browser window so the webview is `width` px wide. The side bars keep their widths as the window
 * changes and the editor area takes the rest, so one correction usually lands it; a few more allow for rounding.
 */
export async function sizeWebview(page: Page, frame: Frame, width: number): Promise<ReportLayout> {
  let l = await reportLayout(frame);
  for (let i = 0; i < 4 && l.width !== width; i++) {
    const viewport = page.viewportSize() ?? { width: 1440, height: 900 };
    await page.setViewportSize({ width: viewport.width + width - l.width, height: viewport.height });
    l = await waitFor(
      'the webview to follow the window',
      async () => {
        const now = await reportLayout(frame);
        return now.width !== l.width ? now : undefined;
      },
      10_000,
    ).catch(() => reportLayout(frame));
  }
  if (l.width !== width) throw new Error(`the webview is ${l.width} px wide, not ${width} px`);
  // Charts follow their hosts through a ResizeObserver, a frame later.
  return waitFor(
    `the charts to span a ${width} px report`,
    async () => {
      const now = await reportLayout(frame);
      return now.charts.every((c) => Math.abs(c.canvas - c.host) <= 2) ? now : undefined;
    },
    10_000,
  ).catch(() => reportLayout(frame));
}
