import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  type CodeAction,
  CodeActionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ADD_INPUT_SHAPE,
  type AuditResult,
  AuditRequest,
  NEEDS_SETUP,
  type ServerStatusParams,
  ServerStatusNotification,
} from '../../core/src/protocol/lsp';
import { extractSource } from '../../core/src/extract';
import { toRequest } from '../src/audit';
import { addInputShapeAction } from '../src/input-shape-fix';
import { DEFAULT_SETTINGS } from '../src/settings';
import { type Harness, startServer } from './lsp-harness';

const settings = {
  lintDelayMs: 10,
  backend: 'cpu',
  probes: { budgetSeconds: 60, points: 4, seed: 1, probes: ['forward-lipschitz'], options: { maxIter: 10 } },
};

// CommonJS, and a lipschitz-lens Flow whose first block does not say its input: nothing gives the shape.
const SOURCE = `const { AdditiveCoupling, Flow } = require('lipschitz-lens');

const flow = new Flow([new AdditiveCoupling({ hiddenUnits: 4 })]);

module.exports = { flow };
`;

describe('language server: CommonJS models and audits that need configuration', { timeout: 240_000 }, () => {
  let h: Harness;
  let dir = '';
  let doc: TextDocument;
  const statuses: ServerStatusParams[] = [];
  const lastVerdict = (): string | undefined => statuses.at(-1)?.lastVerdict;

  before(async () => {
    // Outside the repo: neither tfjs nor lipschitz-lens resolves, so the worker uses its own copies.
    dir = mkdtempSync(join(tmpdir(), 'll-lsp-config-'));
    const file = join(dir, 'flow.js');
    writeFileSync(file, SOURCE);
    h = startServer(settings);
    h.connection.onNotification(ServerStatusNotification.method, (s: ServerStatusParams) => statuses.push(s));
    await h.initialize(dir, {
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions: { workspaceTrusted: true },
    });
    doc = TextDocument.create(pathToFileURL(file).href, 'javascript', 1, SOURCE);
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: doc.uri, languageId: 'javascript', version: 1, text: SOURCE },
    });
    await h.diagnostics(doc.uri);
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const audit = (): Promise<AuditResult> =>
    h.connection.sendRequest(AuditRequest.method, {
      scope: 'model',
      uri: doc.uri,
      position: { line: 2, character: 7 },
    }) as Promise<AuditResult>;

  const fixes = async (): Promise<CodeAction[]> =>
    (await h.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: doc.uri },
      range: { start: { line: 2, character: 7 }, end: { line: 2, character: 7 } },
      context: { diagnostics: [] },
    })) as CodeAction[];

  it('says what to do in the editor, offers "Add @inputShape", and a filled-in tag makes the audit succeed', async () => {
    assert.deepEqual(
      (await fixes()).map((a) => a.title),
      [],
      'no fix before an audit said the shape is missing',
    );
    const first = (await audit()).outcomes[0]!;
    assert.equal(first.model.name, 'flow');
    assert.equal(first.configuration?.kind, 'input-shape', first.error);
    assert.match(first.configuration.message, /add \/\*\* @inputShape \[\.\.\.\] \*\/ above it/);
    // The editor's advice is the tag and its quick fix, not the CLI's flag.
    assert.doesNotMatch(first.configuration.message, /--input-shape/);
    assert.equal(first.report?.error?.phase, 'load');
    // The status item's word is not a verdict on the model (the client colours it as a warning, not red).
    assert.equal(lastVerdict(), NEEDS_SETUP);

    const hover = await h.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: doc.uri },
      position: { line: 2, character: 7 },
    });
    const hoverText = (hover!.contents as MarkupContent).value;
    assert.match(hoverText, /\*\*Not measured\*\*: The input shape of flow is unknown/);
    assert.doesNotMatch(hoverText, /\*\*Measured\*\*/);

    const action = (await fixes()).find((a) => a.title.startsWith(ADD_INPUT_SHAPE));
    assert.ok(action?.edit?.changes, 'the quick fix is offered on the model');
    // Nothing in the code says the shape: a placeholder to fill, never a made-up shape.
    assert.equal(action.title, `${ADD_INPUT_SHAPE} (fill in the shape)`);
    const fixed = TextDocument.applyEdits(doc, action.edit.changes[doc.uri]!);
    assert.equal(fixed.split('\n')[2], '/** @inputShape [n] */');
    // Left as it is, the placeholder is not a shape: the audit says what to write in the tag, and the fix is not
    // offered a second time.
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: doc.uri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    const unfilled = (await audit()).outcomes[0]!;
    assert.equal(unfilled.configuration?.kind, 'input-shape');
    assert.match(
      unfilled.configuration.message,
      /@inputShape \[n\] is not a shape: write one point's dimensions/,
    );
    assert.deepEqual(
      (await fixes()).filter((a) => a.title.startsWith(ADD_INPUT_SHAPE)),
      [],
      'no second tag',
    );
    // The user types the shape over the placeholder.
    const filled = fixed.replace('[n]', '[4]');
    await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: doc.uri, version: 3 },
      contentChanges: [{ text: filled }],
    });
    const second = (await audit()).outcomes[0]!;
    assert.equal(second.configuration, undefined, second.error);
    assert.ok(second.report && second.report.status !== 'failed', JSON.stringify(second.report?.error));
    assert.deepEqual(second.report.model.inputShape, [4]);
    assert.notEqual(lastVerdict(), NEEDS_SETUP);
    assert.deepEqual(
      (await fixes()).filter((a) => a.title.startsWith(ADD_INPUT_SHAPE)),
      [],
      'no fix once the tag is there',
    );
  });

  it('audits a CommonJS module whose exports are the factory (module.exports = createModel)', async () => {
    const text = `const tf = require('@tensorflow/tfjs');
function createModel() {
  return tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
}
module.exports = createModel;
`;
    const file = join(dir, 'factory.js');
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'javascript', version: 1, text },
    });
    await h.diagnostics(uri);
    const result = (await h.connection.sendRequest(AuditRequest.method, {
      scope: 'model',
      uri,
      position: { line: 1, character: 10 },
    })) as AuditResult;
    const outcome = result.outcomes[0]!;
    assert.equal(outcome.model.name, 'createModel');
    assert.ok(outcome.report && outcome.report.status !== 'failed', outcome.error);
    assert.equal(outcome.report.model.exportName, 'default');
    assert.equal(outcome.report.model.parameters, 15);
  });
});

describe('the "Add @inputShape" edit', () => {
  it("writes the first layer's inputShape / batchInputShape / inputDim when the code spells it, indented", () => {
    const cases: Array<[string, string]> = [
      ['inputShape: [28, 28, 1]', '[28, 28, 1]'],
      ['batchInputShape: [null, 6]', '[6]'],
      ['inputDim: 5', '[5]'],
    ];
    for (const [config, shape] of cases) {
      const src = `import * as tf from '@tensorflow/tfjs';
export function build() {
  const inner = 1;
  return tf.sequential({ layers: [tf.layers.dense({ units: 2, ${config} })] });
}
`;
      const model = extractSource(src, 'm.ts').models[0]!;
      const action = addInputShapeAction('file:///m.ts', model, src.split('\n'));
      assert.equal(action.title, `${ADD_INPUT_SHAPE} ${shape} (from the first layer)`);
      const edit = action.edit!.changes!['file:///m.ts']![0]!;
      assert.equal(edit.newText, `/** @inputShape ${shape} */\n`);
      assert.equal(edit.range.start.line, 1);
    }
  });

  it('writes the placeholder when the shape is a parameter, indented as the line it goes above', () => {
    const src = `const tf = require('@tensorflow/tfjs');
  function build(shape) {
    return tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: shape })] });
  }
module.exports = { build };
`;
    const model = extractSource(src, 'm.js').models[0]!;
    const action = addInputShapeAction('file:///m.js', model, src.split('\n'));
    assert.equal(action.title, `${ADD_INPUT_SHAPE} (fill in the shape)`);
    const edit = action.edit!.changes!['file:///m.js']![0]!;
    assert.equal(edit.newText, '  /** @inputShape [n] */\n');
    assert.equal(edit.range.start.line, 1);
  });
});

describe('a model the audit cannot load by itself', () => {
  it('names the exported factory a sub-network is built in (a CommonJS GAN), else says to export it', () => {
    const src = `const tf = require('@tensorflow/tfjs');
function buildGenerator(latentSize) {
  const cnn = tf.sequential();
  cnn.add(tf.layers.dense({ units: 8, inputShape: [latentSize] }));
  const latent = tf.input({ shape: [latentSize] });
  return tf.model({ inputs: latent, outputs: cnn.apply(latent) });
}
function helper() {
  const loose = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
  loose.summary();
}
module.exports = { buildGenerator };
`;
    const ir = extractSource(src, 'gan.js');
    const reason = (name: string): string | undefined =>
      toRequest({
        path: '/w/gan.js',
        folder: '/w',
        bounds: new Map(),
        model: ir.models.find((m) => m.name === name)!,
        settings: DEFAULT_SETTINGS,
      }).reason;
    assert.equal(ir.models.find((m) => m.name === 'buildGenerator')?.exportName, 'buildGenerator');
    assert.equal(
      reason('cnn'),
      'cnn is built inside buildGenerator, which the audit loads through its export: audit buildGenerator, or export a function that returns cnn.',
    );
    assert.match(reason('loose') ?? '', /^loose is not exported, so the audit cannot load it: export it/);
  });
});
