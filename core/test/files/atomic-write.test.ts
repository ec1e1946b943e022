import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkOutputFile,
  checkOutputFolder,
  OutputError,
  writeFileAtomic,
  writeFilesAtomic,
} from '../../src/files/atomic-write';
import { fillUp, mountTmpfs } from '../helpers/tmpfs';

const dir = mkdtempSync(join(tmpdir(), 'll-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The one-line message, the path and the errno code of what `fn` throws. */
function outputError(fn: () => void): OutputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OutputError, `an OutputError, not ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e;
  }
  assert.fail('did not throw');
}

describe('writeFileAtomic', () => {
  it('writes text and bytes, replaces an earlier file, and leaves no temporary file', () => {
    const target = join(dir, 'report.json');
    writeFileAtomic(target, '{"a":1}\n');
    assert.equal(readFileSync(target, 'utf8'), '{"a":1}\n');
    writeFileAtomic(target, new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual([...readFileSync(target)], [0, 1, 2, 255]);
    writeFileAtomic(target, '');
    assert.equal(readFileSync(target, 'utf8'), '');
    assert.deepEqual(readdirSync(dir), ['report.json']);
  });

  it('replaces by rename: a reader of the old file keeps reading it whole, and the mode is kept', () => {
    const target = join(dir, 'renamed.sarif');
    writeFileSync(target, 'old contents');
    chmodSync(target, 0o640);
    const reader = openSync(target, 'r');
    try {
      writeFileAtomic(target, 'new');
      // An in-place write would have truncated the file under the reader; a rename leaves it its own file.
      const buffer = Buffer.alloc(64);
      const n = readSync(reader, buffer, 0, 64, 0);
      assert.equal(buffer.subarray(0, n).toString(), 'old contents');
    } finally {
      closeSync(reader);
    }
    assert.equal(readFileSync(target, 'utf8'), 'new');
    assert.equal(statSync(target).mode & 0o777, 0o640);
  });

  it('writes through a symbolic link to the file it names', () => {
    const real = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    writeFileAtomic(link, 'new');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(real, 'utf8'), 'new');
  });

  it('stages every file before replacing any: one that cannot be written leaves the others as they were', () => {
    const a = join(dir, 'pair.report.json');
    writeFileSync(a, 'previous json');
    const missing = join(dir, 'no-such-folder', 'pair.report.html');
    const e = outputError(() =>
      writeFilesAtomic([
        { path: a, data: 'new json' },
        { path: missing, data: 'new html' },
      ]),
    );
    assert.equal(e.message, `cannot write ${missing}: no such file or directory (ENOENT)`);
    assert.equal(readFileSync(a, 'utf8'), 'previous json');
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), readdirSync(dir).join(', '));
  });

  describe('on a full disk (a 64 KiB tmpfs)', () => {
    const fs = mountTmpfs(64);
    after(() => 'unmount' in fs && fs.unmount());
    it('keeps the previous file byte for byte, removes the temporary file, and says so in one line', (t) => {
      if ('skip' in fs) return t.skip(fs.skip);
      const target = join(fs.dir, 'model.report.json');
      const previous = `${JSON.stringify({ version: 1, status: 'complete', figures: [1, 2, 3] }, null, 2)}\n`;
      writeFileSync(target, previous);
      fillUp(fs.dir);
      const e = outputError(() => writeFileAtomic(target, 'x'.repeat(20_000)));
      assert.equal(e.message, `cannot write ${target}: no space left on device (ENOSPC)`);
      assert.equal(e.code, 'ENOSPC');
      assert.equal(readFileSync(target, 'utf8'), previous);
      assert.deepEqual(readdirSync(fs.dir).sort(), ['filler', 'model.report.json']);
    });
  });
});

describe('checkOutputFolder', () => {
  it('creates a missing folder, nested, and leaves nothing in it', () => {
    const nested = join(dir, 'out', 'a', 'b');
    checkOutputFolder(nested);
    assert.deepEqual(readdirSync(nested), []);
  });

  it('rejects in one line what cannot hold files: a file, a path under a device, a folder mkdir cannot make', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    assert.equal(
      outputError(() => checkOutputFolder(file)).message,
      `cannot write ${file}: not a folder (ENOTDIR)`,
    );
    assert.equal(
      outputError(() => checkOutputFolder(join(file, 'sub'))).message,
      `cannot write ${join(file, 'sub')}: not a directory (ENOTDIR)`,
    );
    if (process.platform === 'linux') {
      assert.equal(outputError(() => checkOutputFolder('/dev/full/x')).code, 'ENOTDIR');
      // mkdir answers ENOENT in /proc; Node's recursive mkdirSync loops forever on that.
      assert.equal(outputError(() => checkOutputFolder('/proc/lipschitz-lens/x')).code, 'ENOENT');
    }
  });

  describe('on a read-only mount', () => {
    const fs = mountTmpfs(64, { readOnly: true });
    after(() => 'unmount' in fs && fs.unmount());
    it('fails by trying, where permission bits would say yes to root', (t) => {
      if ('skip' in fs) return t.skip(fs.skip);
      assert.equal(
        outputError(() => checkOutputFolder(fs.dir)).message,
        `cannot write ${fs.dir}: read-only file system (EROFS)`,
      );
      assert.equal(outputError(() => checkOutputFolder(join(fs.dir, 'new'))).code, 'EROFS');
    });
  });
});

describe('checkOutputFile', () => {
  it('rejects a folder where the file should go', () => {
    const folder = join(dir, 'taken.sarif');
    mkdirSync(folder);
    assert.equal(
      outputError(() => checkOutputFile(folder)).message,
      `cannot write ${folder}: it is a folder (EISDIR)`,
    );
    checkOutputFile(join(dir, 'fresh', 'lint.sarif'));
  });
});
