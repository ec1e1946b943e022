/**
 * The HTML page "Export report" saves: the same self-contained page the CLI's audit writes, with the static
 * bounds beside the measurements and the bundle's source map comment removed; and how it is saved, whole or
 * not at all. Free of `vscode`: tested directly.
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

/** The part of `vscode.workspace.fs` a save needs: a parameter, so tests run without VS Code. */
export interface SaveFileSystem<U> {
  writeFile(uri: U, content: Uint8Array): PromiseLike<void>;
  rename(source: U, target: U, options: { overwrite: boolean }): PromiseLike<void>;
  delete(uri: U): PromiseLike<void>;
}

/**
 * Writes `content` to `temp` (a new name in the target's folder) and renames it over `target`, so a full disk
 * or a failed write leaves an earlier export as it was. The temporary file is removed on failure, and the error
 * is rethrown for the caller to show.
 */
export async function saveWhole<U>(
  fs: SaveFileSystem<U>,
  target: U,
  temp: U,
  content: Uint8Array,
): Promise<void> {
  try {
    await fs.writeFile(temp, content);
    await fs.rename(temp, target, { overwrite: true });
  } catch (e) {
    try {
      await fs.delete(temp);
    } catch {
      // Never created, or already renamed: the write error is the one to show.
    }
    throw e;
  }
}

/** `.<name>.<random>.tmp`, the temporary name beside `name`. */
export function temporaryName(name: string, random: string): string {
  return `.${name}.${random}.tmp`;
}
