/** The lint CLI's file expansion on a real folder tree: folders, globs, skipped folders, .gitignore, symlinks. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { expandPatterns } from '../../src/cli/file-patterns';

// The real path, so expected paths are spelled as the expansion spells them where tmpdir is a symlink.
const root = realpathSync(mkdtempSync(join(tmpdir(), 'll-files-')));
after(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text = 'export {};\n'): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

for (const f of [
  'src/a.ts',
  'src/b.tsx',
  'src/c.js',
  'src/d.mjs',
  'src/e.cjs',
  'src/f.jsx',
  'src/g.mts',
  'src/.eslintrc.js',
  'src/types.d.ts',
  'src/data.json',
  'src/model (1).ts',
  'src/x.gen.ts',
  'src/keep.gen.ts',
  'src/sub/deep.ts',
  'src/sub/local.ts',
  'src/sub/sub.gen.ts',
  'src/node_modules/pkg/index.ts',
  'node_modules/pkg/index.ts',
  'dist/bundle.js',
  'out/main.js',
  '.cache/c.ts',
  'generated/g.ts',
  'top.ts',
]) {
  write(f);
}
// Git's rules: a `!` re-includes, a deeper .gitignore wins, nothing inside an ignored folder comes back.
write('.gitignore', '# build output\ngenerated/\n*.gen.ts\n!keep.gen.ts\n');
write('src/sub/.gitignore', 'local.ts\n!sub.gen.ts\n');
write('generated/.gitignore', '!g.ts\n');
// A loop (src/sub/loop is src again), a second name for a file, and a link to nothing.
symlinkSync('..', join(root, 'src/sub/loop'));
symlinkSync('a.ts', join(root, 'src/alias.ts'));
symlinkSync('missing.ts', join(root, 'src/dangling.ts'));

const abs = (...paths: string[]): string[] => paths.map((p) => join(root, p));
const SRC_SOURCES = [
  'src/.eslintrc.js',
  'src/a.ts',
  'src/b.tsx',
  'src/c.js',
  'src/d.mjs',
  'src/e.cjs',
  'src/f.jsx',
  'src/g.mts',
  'src/keep.gen.ts',
  'src/model (1).ts',
  'src/sub/deep.ts',
  'src/sub/sub.gen.ts',
];

describe('expandPatterns', () => {
  it('a folder gives its source files, sorted, each once, without skipped folders or ignored files', () => {
    const { files, unmatched, ignored } = expandPatterns(['.'], root);
    assert.deepEqual(files, abs(...SRC_SOURCES, 'top.ts'));
    assert.deepEqual(unmatched, []);
    assert.deepEqual(ignored, []);
  });

  it(
    'a symlink loop ends, and a file reached by two paths is listed once by its shorter path',
    { timeout: 20_000 },
    () => {
      const { files } = expandPatterns(['src', 'src/sub/loop', 'src/alias.ts'], root);
      assert.deepEqual(files, abs(...SRC_SOURCES));
    },
  );

  it('globs: ** spans folders, * stays in one, braces alternate, a trailing * keeps source files only', () => {
    assert.deepEqual(
      expandPatterns(['src/*.ts'], root).files,
      abs('src/a.ts', 'src/keep.gen.ts', 'src/model (1).ts', 'src/types.d.ts'),
    );
    assert.deepEqual(expandPatterns(['src/{a,c}.*'], root).files, abs('src/a.ts', 'src/c.js'));
    assert.deepEqual(expandPatterns(['src/*.json'], root).files, abs('src/data.json'));
    assert.deepEqual(
      expandPatterns(['**/deep.ts', 'src/sub/*'], root).files,
      abs('src/sub/deep.ts', 'src/sub/sub.gen.ts'),
    );
    assert.deepEqual(expandPatterns(['src/?.{mts,cjs}'], root).files, abs('src/e.cjs', 'src/g.mts'));
    assert.deepEqual(expandPatterns([join(root, 'src', '*.jsx')], root).files, abs('src/f.jsx'), 'absolute');
  });

  it('a folder or glob that starts inside a skipped folder is read; skipped folders below it are not', () => {
    assert.deepEqual(expandPatterns(['dist'], root).files, abs('dist/bundle.js'));
    assert.deepEqual(expandPatterns(['out/**/*.js'], root).files, abs('out/main.js'));
    assert.deepEqual(expandPatterns(['src/node_modules'], root).files, abs('src/node_modules/pkg/index.ts'));
    assert.deepEqual(expandPatterns(['**/index.ts'], root).files, []);
  });

  it('a file named is read whatever its name, folder or .gitignore say', () => {
    const named = [
      'generated/g.ts',
      'src/x.gen.ts',
      'node_modules/pkg/index.ts',
      'src/data.json',
      'src/model (1).ts',
    ];
    assert.deepEqual(expandPatterns(named, root).files, abs(...named).sort());
  });

  it('reports patterns that match nothing apart from those whose matches are all ignored', () => {
    const r = expandPatterns(
      ['nothing/**/*.ts', 'missing.ts', 'generated', 'src/*.gen.ts', 'src/dangling.ts'],
      root,
    );
    assert.deepEqual(r.unmatched, ['nothing/**/*.ts', 'missing.ts', 'src/dangling.ts']);
    assert.deepEqual(r.ignored, ['generated']);
    assert.deepEqual(r.files, abs('src/keep.gen.ts'));
  });

  it('reads .gitignore files from the current folder down only', () => {
    // From src, the root's .gitignore is above the project: its *.gen.ts rule does not apply.
    const { files } = expandPatterns(['*.gen.ts', 'sub/*.ts'], join(root, 'src'));
    assert.deepEqual(files, abs('src/keep.gen.ts', 'src/sub/deep.ts', 'src/sub/sub.gen.ts', 'src/x.gen.ts'));
  });
});
