import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelExtractor } from '../../src/extract';
import type { BlockNode } from '../../src/ir/model-ir';
import { layersOf, model } from './helpers';

const examples = join(__dirname, '../../../examples');

describe('ModelExtractor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lens-extract-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows relative imports across files and re-reads them when they change', () => {
    writeFileSync(
      join(dir, 'blocks.ts'),
      `import * as tf from '@tensorflow/tfjs';
export const UNITS = 8;
export function dense(units = UNITS) { return tf.layers.dense({ units }); }`,
    );
    writeFileSync(
      join(dir, 'model.ts'),
      `import * as tf from '@tensorflow/tfjs';
import { dense, UNITS } from './blocks';
import * as b from './blocks.js';
export const m = tf.sequential({ layers: [dense(), b.dense(UNITS * 2)] });`,
    );
    const ex = new ModelExtractor({ rootDir: dir });
    const ir = ex.extractFile('model.ts');
    const ls = layersOf(model(ir, 'm').body);
    assert.deepEqual(
      ls.map((l) => l.config.units),
      [8, 16],
    );
    assert.equal(ls[0]!.range.file, join(dir, 'blocks.ts'));
    assert.deepEqual(ir.looseLayers, [], 'layers of other files are never loose here');

    ex.updateFile(
      join(dir, 'blocks.ts'),
      `import * as tf from '@tensorflow/tfjs';
export const UNITS = 3;
export function dense(units = UNITS) { return tf.layers.dense({ units }); }`,
    );
    assert.deepEqual(
      layersOf(model(ex.extractFile('model.ts'), 'm').body).map((l) => l.config.units),
      [3, 6],
    );
    ex.removeFile(join(dir, 'blocks.ts'));
    assert.deepEqual(
      layersOf(model(ex.extractFile('model.ts'), 'm').body).map((l) => l.config.units),
      [8, 16],
    );
  });

  it('reads open documents from the overlay and notes unreadable files', () => {
    const ex = new ModelExtractor({ rootDir: dir });
    ex.updateFile('open.ts', `import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential();`);
    assert.equal(ex.extractFile('open.ts').models.length, 1);
    ex.updateFile(
      'open.ts',
      `import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential(); const n = tf.sequential();`,
    );
    assert.equal(ex.extractFile('open.ts').models.length, 2);
    ex.removeFile('open.ts');
    const gone = ex.extractFile('open.ts');
    assert.equal(gone.models.length, 0);
    assert.equal(gone.notes.length, 1);
  });

  it('reads the split example across its two files', () => {
    const ir = new ModelExtractor().extractFile(join(examples, 'split/model.ts'));
    const m = model(ir, 'buildSplitResNet');
    const residuals = m.body.children.filter(
      (c): c is BlockNode => c.kind === 'block' && c.wiring === 'residual',
    );
    assert.equal(residuals.length, 3, 'depth = 3 by default: the loop is unrolled');
    for (const r of residuals) {
      assert.deepEqual(
        layersOf(r).map((l) => l.config.units),
        [32, 32],
      );
      assert.ok(layersOf(r).every((l) => l.range.file.endsWith('blocks.ts')));
    }
  });

  it('reads every example with the expected structure', () => {
    const expected: Record<string, [string, boolean][]> = {
      'cnn-classifier.ts': [['buildCnn', false]],
      'custom-layers.ts': [['customFlow', true]],
      'flow-batchnorm.ts': [['bnFlow', true]],
      'gan-critic.ts': [['buildCritic', false]],
      'glow.ts': [['glow', true]],
      'iresnet.ts': [['buildIResNet', true]],
      'lens-layers.ts': [['stableFlow', true]],
      'loop-built.ts': [['discriminator', false]],
      'mlp-classifier.ts': [['classifier', false]],
      'multiscale-glow.ts': [['multiscaleGlow', true]],
      'nice.ts': [['nice', true]],
      'realnvp.ts': [['realNvp', true]],
      'sigmoid-coupling.ts': [['boundedFlow', true]],
      'split/blocks.ts': [],
      'split/model.ts': [['buildSplitResNet', true]],
    };
    const files: string[] = [];
    const collect = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) collect(p);
        else if (p.endsWith('.ts')) files.push(p.slice(examples.length + 1));
      }
    };
    collect(examples);
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
    const ex = new ModelExtractor({ rootDir: examples });
    for (const f of files) {
      const ir = ex.extractFile(f);
      assert.deepEqual(
        ir.models.map((m) => [m.name, m.intent.kind === 'invertible']),
        expected[f],
        f,
      );
      assert.deepEqual(ir.notes, [], `${f}: no notes`);
    }
  });

  it('reads the examples with the shapes the rules rely on', () => {
    const ex = new ModelExtractor({ rootDir: examples });
    const critic = model(ex.extractFile('gan-critic.ts'), 'buildCritic');
    assert.equal(critic.intent.kind === 'lipschitz', true);
    assert.equal(layersOf(critic.body).length, 5);
    const disc = model(ex.extractFile('loop-built.ts'), 'discriminator');
    assert.deepEqual(
      layersOf(disc.body)
        .filter((l) => l.layerType === 'SpectralDense')
        .map((l) => l.config.units),
      [512, 256, 128],
    );
    const iresnet = model(ex.extractFile('iresnet.ts'), 'buildIResNet');
    assert.equal(iresnet.checkpoint, join(examples, 'checkpoints/iresnet/model.json'));
    assert.deepEqual(
      iresnet.body.children.map((c) => c.kind === 'block' && c.wiring),
      ['residual', 'residual', 'residual'],
    );
    // Its s net ends in tanh, so exp(s(x1)) is bounded (scale-form.ts).
    const realnvp = model(ex.extractFile('realnvp.ts'), 'realNvp');
    assert.deepEqual(
      realnvp.body.children.map((c) => c.kind === 'block' && c.scale),
      ['bounded-tanh', 'bounded-tanh', 'bounded-tanh'],
    );
    const bounded = model(ex.extractFile('sigmoid-coupling.ts'), 'boundedFlow');
    assert.deepEqual(
      bounded.body.children.map((c) => c.kind === 'block' && c.scale),
      ['sigmoid-floor', 'bounded-tanh'],
    );
  });
});
