/**
 * The HTML page "Export report" saves: the same self-contained page the CLI's audit writes, with the static
 * bounds beside the measurements and the bundle's source map comment removed. Pure: tested directly.
 */
import type { StaticBlockBound } from '../../core/src/protocol/webview';
import { makeNonce, standaloneHtml } from '../../core/src/report/page';
import type { Report } from '../../core/src/report/schema';
import { stripSourceMap } from '../../core/src/report/webview-bundle';

/** `bundle` is the text of dist/webview/report.js. */
export function exportedHtml(report: Report, bundle: string, staticBounds?: StaticBlockBound[]): string {
  // The source map comment would name a file the saved page does not have.
  const script = stripSourceMap(bundle);
  return standaloneHtml({ nonce: makeNonce(), script, report, ...(staticBounds ? { staticBounds } : {}) });
}
