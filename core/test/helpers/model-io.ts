/** Saves a model through fileSystemIO into a fresh temp dir and loads it back, with the saved weight names. */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSystemIO } from '../../src/layers/file-io';

export async function saveAndLoad(
  model: tf.LayersModel,
): Promise<{ loaded: tf.LayersModel; files: string[]; weightNames: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipschitz-lens-'));
  try {
    await model.save(fileSystemIO(dir));
    const files = fs.readdirSync(dir).sort();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
      weightsManifest: Array<{ weights: Array<{ name: string }> }>;
    };
    const weightNames = json.weightsManifest.flatMap((group) => group.weights.map((w) => w.name));
    const loaded = await tf.loadLayersModel(fileSystemIO(dir));
    return { loaded, files, weightNames };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Output values as plain arrays, for exact comparison. */
export function values(t: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]): number[] {
  const tensor = t as tf.Tensor;
  const out = Array.from(tensor.dataSync());
  tensor.dispose();
  return out;
}
