/**
 * "Add lipschitz-lens to This Project" (ADD_LIBRARY_COMMAND): the quick fixes whose import does not resolve run
 * it with their edits. It installs the tarball the extension carries with the project's package manager, as a
 * task in a terminal the user sees, and applies the edits only once the install succeeded, so the fix never
 * leaves an import TypeScript cannot resolve.
 */
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { makeFolders, writeFileAtomic } from '../../core/src/files/atomic-write';
import type { AddLibraryArgs } from '../../core/src/protocol/lsp';
import { LIBRARY_PACKAGE } from '../../core/src/rules/source-text';
import { MANAGE_TRUST } from './audit-gate';
import type { Ctx } from './ctx';
import {
  bundledTarball,
  installCommand,
  packageManagerOf,
  projectFolder,
  VENDOR_DIR,
} from './library-install';

/** The task type contributed in package.json (`taskDefinitions`). */
const TASK_TYPE = 'lipschitz-lens';

function isAddLibraryArgs(v: unknown): v is AddLibraryArgs {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a['uri'] === 'string' &&
    Array.isArray(a['edits']) &&
    Array.isArray(a['packages']) &&
    (a['version'] === undefined || typeof a['version'] === 'number')
  );
}

function fail(message: string): void {
  void vscode.window.showErrorMessage(`Lipschitz Lens: ${message}`);
}

/** Runs the install as a task and resolves with its exit code (undefined when the terminal was killed). */
async function runTask(folder: vscode.WorkspaceFolder, cwd: string, line: ReturnType<typeof installCommand>) {
  const id = `${Date.now()}-${Math.random()}`;
  const task = new vscode.Task(
    { type: TASK_TYPE, id },
    folder,
    `add ${LIBRARY_PACKAGE}`,
    'Lipschitz Lens',
    new vscode.ShellExecution(line.command, line.args, { cwd }),
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    clear: true,
    panel: vscode.TaskPanelKind.Dedicated,
  };
  // Listening before starting: a fast install may end before executeTask's promise settles.
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition['id'] !== id) return;
      sub.dispose();
      resolve(e.exitCode);
    });
  });
  await vscode.tasks.executeTask(task);
  return ended;
}

async function applyEdits(args: AddLibraryArgs, ctx: Ctx): Promise<boolean> {
  const uri = vscode.Uri.parse(args.uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (args.version !== undefined && doc.version !== args.version) {
    ctx.output.info(
      `not applying the fix: ${uri.fsPath} is at version ${doc.version}, the fix was for ${args.version}`,
    );
    void vscode.window.showInformationMessage(
      `Lipschitz Lens: ${LIBRARY_PACKAGE} is installed. The file changed meanwhile, so the fix was not applied: run it again.`,
    );
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  for (const e of args.edits) {
    const { start, end } = e.range;
    edit.replace(uri, new vscode.Range(start.line, start.character, end.line, end.character), e.newText);
  }
  if (await vscode.workspace.applyEdit(edit)) return true;
  fail(`${LIBRARY_PACKAGE} is installed, but the fix could not be applied to ${basename(uri.fsPath)}.`);
  return false;
}

export function addLibrary(ctx: Ctx): (arg?: unknown) => Promise<void> {
  return async (arg) => {
    const args = isAddLibraryArgs(arg) ? arg : undefined;
    const other = args?.packages.find((p) => p !== LIBRARY_PACKAGE);
    if (other !== undefined)
      return fail(`the extension cannot install ${other}: it carries ${LIBRARY_PACKAGE} only.`);
    const uri = args ? vscode.Uri.parse(args.uri) : vscode.window.activeTextEditor?.document.uri;
    if (uri?.scheme !== 'file') return fail(`open a file of the project to add ${LIBRARY_PACKAGE} to.`);
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showWarningMessage(
        `Lipschitz Lens: adding ${LIBRARY_PACKAGE} runs the project's package manager, so it needs a trusted workspace.`,
        MANAGE_TRUST.title,
      );
      if (pick) await vscode.commands.executeCommand(MANAGE_TRUST.command);
      return;
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return fail(`${basename(uri.fsPath)} is not in a workspace folder.`);
    const project = projectFolder(uri.fsPath, folder.uri.fsPath);
    if (!project)
      return fail(
        `no package.json above ${basename(uri.fsPath)}: create one (npm init -y), then run the fix again.`,
      );
    const tarball = bundledTarball(ctx.extension.extensionUri.fsPath);
    if (!tarball)
      return fail(
        `this build of the extension carries no ${LIBRARY_PACKAGE} package (dist/library/ is empty).`,
      );

    const name = basename(tarball);
    const vendored = join(project, VENDOR_DIR, name);
    try {
      makeFolders(join(project, VENDOR_DIR));
      writeFileAtomic(vendored, readFileSync(tarball));
    } catch (e) {
      return fail(
        `could not copy ${name} into ${VENDOR_DIR}/: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const pm = packageManagerOf(project, folder.uri.fsPath);
    const line = installCommand(pm, `./${VENDOR_DIR}/${name}`);
    ctx.output.info(`adding ${LIBRARY_PACKAGE}: ${line.command} ${line.args.join(' ')} (in ${project})`);
    const exit = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Adding ${LIBRARY_PACKAGE}` },
      () => runTask(folder, project, line),
    );
    ctx.output.info(`${line.command} ${exit === undefined ? 'was stopped' : `exited with code ${exit}`}`);
    if (exit !== 0) {
      return fail(
        `${line.command} ${exit === undefined ? 'was stopped' : `exited with code ${exit}`}; ${LIBRARY_PACKAGE} was not added (see the terminal).`,
      );
    }
    if (args && !(await applyEdits(args, ctx))) return;
    const where = relative(folder.uri.fsPath, vendored) || name;
    void vscode.window.showInformationMessage(
      `Lipschitz Lens: added ${LIBRARY_PACKAGE} from ${where}. Commit that file with package.json and the lockfile.`,
    );
  };
}
