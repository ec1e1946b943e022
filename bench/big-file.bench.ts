/**
 * Hover latency in a small file while the language server lints a 46k-line model, through the real server over
 * stdio (server/test/lsp-harness.ts). Prints how long the big file's lint took (open or edit -> its diagnostics)
 * and the latency of hovers sent every 25 ms in the small file meanwhile; then the whole keystroke path of the
 * server (edit -> diagnostics, debounce 0) on bench/lint.bench.ts's generated 5,000-line model, which includes
 * the hand-over to the analysis thread. Run: npx tsx bench/big-file.bench.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
} from 'vscode-languageserver-protocol/node';
import { bigModel } from '../server/test/big-model';
import { startServer } from '../server/test/lsp-harness';
import { quantile, residualBlocksModel } from './generated-model';

const COPIES = 1070;
const EDITS = 3;

async function main(): Promise<void> {
  const folder = join(tmpdir(), 'll-bench-big-file');
  mkdirSync(folder, { recursive: true });
  const small = join(folder, 'small.ts');
  const big = join(folder, 'big.ts');
  const smallText = readFileSync(join(__dirname, '..', 'examples', 'mlp-classifier.ts'), 'utf8');
  const bigText = bigModel(COPIES);
  writeFileSync(small, smallText);
  writeFileSync(big, bigText);
  const [smallUri, bigUri] = [pathToFileURL(small).href, pathToFileURL(big).href];
  const h = startServer({ lintDelayMs: 10, maxFileSizeMB: 8 });
  try {
    await h.initialize(folder, { name: 'bench' });
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: smallUri, languageId: 'typescript', version: 1, text: smallText },
    });
    await h.diagnostics(smallUri, (d) => d.length > 0);
    const at = smallText.split('\n').findIndex((l) => l.includes('layers.dense'));
    const position = { line: at, character: smallText.split('\n')[at]!.indexOf('dense') + 1 };
    const hover = async (): Promise<number> => {
      const t0 = performance.now();
      const r = await h.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri: smallUri },
        position,
      });
      if (!r) throw new Error('no hover in the small file');
      return performance.now() - t0;
    };
    console.log(`hover in a small file while a ${bigText.split('\n').length}-line model is linted (ms)`);
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await hover());
    idle.sort((a, b) => a - b);
    console.log(
      `  idle server:          hover p50 ${quantile(idle, 0.5).toFixed(1)}  max ${idle.at(-1)!.toFixed(1)}`,
    );

    for (let round = 0; round <= EDITS; round++) {
      const version = round + 1;
      const t0 = performance.now();
      const done = h.diagnostics(bigUri, (_d, v) => v === version);
      if (round === 0)
        await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
          textDocument: { uri: bigUri, languageId: 'typescript', version, text: bigText },
        });
      else
        await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri: bigUri, version },
          contentChanges: [{ text: `${bigText}\n// edit ${round}\n` }],
        });
      let finished = false;
      void done.then(() => (finished = true));
      const latencies: number[] = [];
      while (!finished) {
        latencies.push(await hover());
        await new Promise((r) => setTimeout(r, 25));
      }
      const lint = performance.now() - t0;
      latencies.sort((a, b) => a - b);
      console.log(
        `  ${round === 0 ? 'open big file: ' : `edit ${round}:        `}  lint ${lint.toFixed(0).padStart(5)}  hovers ${String(latencies.length).padStart(3)}  p50 ${quantile(latencies, 0.5).toFixed(1).padStart(6)}  max ${latencies.at(-1)!.toFixed(1).padStart(6)}`,
      );
    }

    const generated = join(folder, 'generated.ts');
    const genText = residualBlocksModel(2500);
    writeFileSync(generated, genText);
    const genUri = pathToFileURL(generated).href;
    h.setSettings({ lintDelayMs: 0, maxFileSizeMB: 8 });
    await h.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: genUri, languageId: 'typescript', version: 1, text: genText },
    });
    await h.diagnostics(genUri, (_d, v) => v === 1);
    const edits: number[] = [];
    for (let version = 2; version < 22; version++) {
      const t0 = performance.now();
      const done = h.diagnostics(genUri, (_d, v) => v === version);
      await h.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri: genUri, version },
        contentChanges: [{ text: `${genText}\n// edit ${version}\n` }],
      });
      await done;
      edits.push(performance.now() - t0);
    }
    edits.sort((a, b) => a - b);
    console.log(
      `edit -> diagnostics, ${genText.split('\n').length}-line generated model, ${edits.length} edits (ms): p50 ${quantile(edits, 0.5).toFixed(1)}  p90 ${quantile(edits, 0.9).toFixed(1)}`,
    );
  } finally {
    await h.close();
  }
}

void main();
