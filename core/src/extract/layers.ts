/** Layer creation: tfjs factories, this project's classes, and unreadable list entries, as LayerNodes. */
import type { ts } from 'ts-morph';
import type { LayerNode, LayerOrigin, SourceRange } from '../ir/model-ir';
import type { ModuleCtx } from './module';
import type { Session } from './session';
import { toConfig, type Val } from './values';

/** The project's layers that are bijections: a model containing one must stay invertible. */
export const INVERTIBLE_LENS_LAYERS = new Set([
  'InvertibleResidual',
  'AdditiveCoupling',
  'AffineCoupling',
  'ReversibleBlock',
  'MaskedAutoregressive',
  'NeuralOde',
  'ActNorm',
  'InvertibleLinear',
  'InvertibleConv1x1',
  'Permutation',
  'Squeeze',
]);

/** This project's layer classes (origin `lipschitz-lens`): the bijections and the spectrally normalised ones. */
export const LENS_LAYERS = new Set(['SpectralDense', 'SpectralConv2D', ...INVERTIBLE_LENS_LAYERS]);

/** tfjs merge layers: `apply` takes a list of tensors. */
export const MERGE_LAYERS = new Set([
  'add',
  'concatenate',
  'multiply',
  'average',
  'maximum',
  'minimum',
  'dot',
  'subtract',
]);

/** The class name a lens export stands for: `SpectralDense`, or a lower-camel factory `spectralDense`. */
export function lensLayerName(path: string): string | undefined {
  const last = path.split('.').pop() ?? '';
  const cap = last.charAt(0).toUpperCase() + last.slice(1);
  return LENS_LAYERS.has(cap) ? cap : undefined;
}

export function makeLayer(
  session: Session,
  mod: ModuleCtx,
  node: ts.Node,
  layerType: string,
  origin: LayerOrigin,
  configArg: Val | undefined,
): LayerNode {
  const layer: LayerNode = {
    kind: 'layer',
    id: session.id('l'),
    layerType,
    origin,
    config: {},
    range: mod.range(node),
  };
  if (configArg?.t === 'object') {
    const c = toConfig(configArg);
    if (c && typeof c === 'object' && !Array.isArray(c)) layer.config = c as LayerNode['config'];
    if (configArg.partial !== undefined)
      layer.configUnknown = {
        kind: 'unknown',
        text: configArg.partial,
        reason: 'spread not known statically',
      };
  } else if (configArg && configArg.t !== 'data') {
    const text = configArg.t === 'unknown' ? configArg.text : configArg.t;
    layer.configUnknown = { kind: 'unknown', text, reason: 'config not known statically' };
    session.note(`The config of this ${layerType} layer could not be read statically.`, layer.range);
  }
  if (mod.file !== session.mainFile && session.callSites.length > 0) layer.via = session.callSites[0];
  session.layers.push(layer);
  session.layerDepth.set(layer, session.classDepth);
  return layer;
}

/** A list entry that is not a recognisable layer: kept (origin `unknown`) so the model's shape stays honest. */
export function unknownLayer(session: Session, text: string, range: SourceRange): LayerNode {
  session.note(`'${text}' is not a layer the extractor can read.`, range);
  const layer: LayerNode = {
    kind: 'layer',
    id: session.id('l'),
    layerType: text,
    origin: 'unknown',
    config: {},
    range,
  };
  return layer;
}
