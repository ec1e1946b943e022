/** Bounds of single layers and ops, read from their config (and trained weights when a checkpoint is linked). */
import {
  type BlockNode,
  type CustomLayerInfo,
  isUnknown,
  type LayerNode,
  type OpNode,
  type UnknownValue,
} from '../ir/model-ir';
import { activationConstants } from './activations';
import {
  type Bound,
  formatBound,
  formatNumber,
  mulBound,
  type NodeBounds,
  residualForward,
  residualInverse,
} from './bound';
import {
  actNormScaleBound,
  configNumber,
  configString,
  DEFAULT_SPECTRAL_COEFF,
  layerConstraint,
  readNumberOption,
  unreadableSource,
  WEIGHTED_LAYERS,
} from './config';

/** Trained-weight facts for one layer, from a checkpoint. */
export interface LayerWeights {
  /** Largest singular value of the kernel. */
  sigma: number;
  /** Weight name in model.json, e.g. `dense_Dense1/kernel`. */
  name: string;
}

export interface LayerBoundContext {
  weights?: LayerWeights;
  customLayers: readonly CustomLayerInfo[];
}

const SOURCE_PREFIX: Record<string, string> = {
  SpectralDense: 'SpectralDense',
  SpectralConv2D: 'SpectralConv2D',
};

function bounds(forward: Bound, inverse: Bound, source: string, notes: string[] = []): NodeBounds {
  return { forward, inverse, source, notes };
}

/** Applies a fused `activation` config after the linear part. */
function withActivation(linear: NodeBounds, layer: LayerNode): NodeBounds {
  const name = configString(layer.config, 'activation');
  if (name === undefined || name === 'linear') return linear;
  const act = activationConstants(name);
  if (act === undefined) {
    return bounds('unknown', 'unknown', `${linear.source}; activation '${name}' has no known constant`);
  }
  return bounds(
    mulBound(linear.forward, act.forward),
    mulBound(linear.inverse, act.inverse),
    `${linear.source} x ${act.note}`,
    linear.notes,
  );
}

function weightedLayerBounds(layer: LayerNode, ctx: LayerBoundContext): NodeBounds {
  const constraint = layerConstraint(layer);
  const label = SOURCE_PREFIX[layer.layerType] ?? layer.layerType;
  // A spectral constraint bounds sigma_max only; sigma_min (the inverse) still depends on the weights.
  if (ctx.weights) {
    const w = ctx.weights;
    return withActivation(
      bounds(w.sigma, 'unknown', `trained weights: sigma=${formatNumber(w.sigma)} (${w.name})`),
      layer,
    );
  }
  if (constraint?.kind === 'spectral' && constraint.unreadable !== undefined) {
    return bounds('unknown', 'unknown', unreadableSource(`spectral norm (${label})`, constraint.unreadable));
  }
  if (constraint?.kind === 'spectral') {
    const c = constraint.c ?? DEFAULT_SPECTRAL_COEFF;
    const given = constraint.c === undefined ? ' (default)' : '';
    return withActivation(
      bounds(c, 'unknown', `spectral norm coefficient c=${formatNumber(c)}${given} (${label})`),
      layer,
    );
  }
  if (constraint?.kind === 'column') {
    const width = configNumber(layer.config, 'units');
    if (layer.layerType === 'dense' && width !== undefined) {
      const frob = Math.sqrt(width) * constraint.maxValue;
      return withActivation(
        bounds(
          frob,
          'unknown',
          `${constraint.name} bounds columns only: sqrt(${width}) * ${formatNumber(constraint.maxValue)} (Frobenius)`,
        ),
        layer,
      );
    }
    return withActivation(
      bounds('unknown', 'unknown', `${constraint.name} bounds columns, not the spectral norm`),
      layer,
    );
  }
  return withActivation(
    bounds('unknown', 'unknown', 'unconstrained weights: depends on trained weights'),
    layer,
  );
}

function activationLayerBounds(layer: LayerNode): NodeBounds | undefined {
  const alpha = configNumber(layer.config, 'alpha');
  const name =
    layer.layerType === 'activation'
      ? configString(layer.config, 'activation')
      : { reLU: 'relu', leakyReLU: 'leakyRelu', elu: 'elu', softmax: 'softmax' }[layer.layerType];
  if (name === undefined) return undefined;
  // tfjs's LeakyReLU layer defaults alpha to 0.3 (the op to 0.2).
  const act = activationConstants(name, name === 'leakyRelu' ? (alpha ?? 0.3) : undefined);
  if (act === undefined) return bounds('unknown', 'unknown', `activation '${name}' has no known constant`);
  return bounds(act.forward, act.inverse, act.note);
}

const COUPLING_CAVEAT =
  'x2-direction gains only: the cross term x2 * ds/dx1 grows with |x2|, so not globally bi-Lipschitz';

/**
 * A hand-written affine coupling: the gains its scale's form proves (the extractor reads them from the code,
 * scale-form.ts); without them, only what the form alone says. A bounded form whose constants are not known
 * (exp(c tanh(h / c)) with c from the config) stays unknown: never this project's layer defaults.
 */
export function blockScaleBounds(block: BlockNode): NodeBounds {
  const form = block.scale ?? 'unknown';
  const g = block.scaleGains;
  if (g === undefined) {
    const known = new Set(['exp', 'softplus', 'sigmoid', 'identity']);
    return known.has(form)
      ? couplingScaleBounds(form)
      : bounds('unknown', 'unknown', `affine coupling with scale '${form}': constants not known`);
  }
  const bounded = !['exp', 'sigmoid', 'softplus', 'identity', 'unknown'].includes(form);
  return bounds(
    g.forward,
    g.inverse,
    `affine coupling with scale '${form}', x2 gains ${formatBound(g.forward)} / ${formatBound(g.inverse)}`,
    bounded ? [COUPLING_CAVEAT] : [],
  );
}

/** Affine coupling scale forms: gains of the x2 direction (y2 = s * x2 + t). */
export function couplingScaleBounds(
  scale: string,
  config: LayerNode['config'] = {},
  configUnknown?: UnknownValue,
): NodeBounds {
  const caveat = COUPLING_CAVEAT;
  switch (scale) {
    case 'exp':
      return bounds('unbounded', 'unbounded', 'affine coupling with s = exp(h): s in (0, inf)');
    case 'softplus':
      return bounds('unbounded', 'unbounded', 'affine coupling with s = softplus(h): s in (0, inf)');
    case 'sigmoid':
      return bounds(
        1,
        'unbounded',
        'affine coupling with s = sigmoid(h + 2): s in (0, 1), inverse gain 1/s unbounded',
        [caveat],
      );
    case 'bounded-tanh': {
      // Defaults as in core/src/layers/affine-coupling.ts.
      const read = readNumberOption(config, ['scaleBound'], configUnknown);
      if (read.kind === 'unreadable')
        return bounds('unknown', 'unknown', unreadableSource('AffineCoupling', read));
      const m = read.kind === 'number' ? read.value : 2;
      const ms = formatNumber(m);
      return bounds(m, m, `affine coupling with s = exp(log(M) tanh(h)), M=${ms}: s in [1/${ms}, ${ms}]`, [
        caveat,
      ]);
    }
    case 'sigmoid-floor': {
      const read = readNumberOption(config, ['scaleFloor'], configUnknown);
      if (read.kind === 'unreadable')
        return bounds('unknown', 'unknown', unreadableSource('AffineCoupling', read));
      const eps = read.kind === 'number' ? read.value : 0.05;
      const e = formatNumber(eps);
      return bounds(
        1,
        1 / eps,
        `affine coupling with s = eps + (1-eps) sigmoid(h + 2), eps=${e}: s in [${e}, 1)`,
        [caveat],
      );
    }
    case 'identity':
      return bounds('unbounded', 'unbounded', 'affine coupling with s = h: s can reach 0');
    default:
      return bounds('unknown', 'unknown', 'affine coupling with an unrecognised scale');
  }
}

function customLayerBounds(layer: LayerNode, ctx: LayerBoundContext): NodeBounds {
  const cls = layer.customClass ?? layer.layerType;
  const info = ctx.customLayers.find((c) => c.className === cls);
  if (info === undefined) return bounds('unknown', 'unknown', `custom layer ${cls}: class not found`);
  let forward: Bound = 'unknown';
  // Ops that scale by learned weights alone (x * exp(logs)) are constant in the input, not non-Lipschitz ops.
  const learned = [
    ...(info.learnedScales ?? []),
    ...(info.scale === 'learned-param' ? [info.scaleAnchor] : []),
  ];
  const isLearned = (op: OpNode): boolean =>
    learned.some(
      (r) => r?.start.line === op.range.start.line && r.start.character === op.range.start.character,
    );
  for (const op of info.ops) {
    if (isLearned(op)) continue;
    const act = activationConstants(op.op);
    if (act?.forward === 'unbounded') forward = 'unbounded';
  }
  const source =
    forward === 'unbounded'
      ? `custom layer ${cls}: call() uses a non-Lipschitz op`
      : `custom layer ${cls}: call() not analysed`;
  return bounds(forward, 'unknown', source);
}

export function layerBounds(layer: LayerNode, ctx: LayerBoundContext): NodeBounds {
  const t = layer.layerType;
  if (WEIGHTED_LAYERS[t] !== undefined || SOURCE_PREFIX[t] !== undefined || t === 'SpectralConv2d') {
    return weightedLayerBounds(layer, ctx);
  }
  const act = activationLayerBounds(layer);
  if (act) return act;
  switch (t) {
    case 'InvertibleResidual': {
      const r = invertibleResidualLipschitz(layer);
      if ('unreadable' in r)
        return bounds('unknown', 'unknown', unreadableSource('InvertibleResidual', r.unreadable));
      return bounds(
        residualForward(r.lip),
        residualInverse(r.lip),
        `1 + L / 1/(1-L) with L=${formatNumber(r.lip)} = ${r.how} (i-ResNet)`,
      );
    }
    case 'AffineCoupling': {
      const scale = layer.config['scale'];
      if (scale !== undefined && typeof scale !== 'string') {
        const why = isUnknown(scale) ? `'${scale.text}' is not known statically` : 'not a string';
        return bounds('unknown', 'unknown', unreadableSource('AffineCoupling', { key: 'scale', why }));
      }
      return couplingScaleBounds(scale ?? 'bounded-tanh', layer.config, layer.configUnknown);
    }
    case 'AdditiveCoupling':
      return bounds('unknown', 'unknown', '1 + Lip(t) both ways; Lip(t) depends on the conditioner');
    case 'ActNorm': {
      const read = readNumberOption(layer.config, ['scaleBound'], layer.configUnknown);
      if (read.kind === 'unreadable') return bounds('unknown', 'unknown', unreadableSource('ActNorm', read));
      const m = actNormScaleBound(layer);
      if (m !== undefined) {
        const ms = formatNumber(m);
        return bounds(m, m, `ActNorm scaleBound ${ms}: scale in [1/${ms}, ${ms}]`);
      }
      return bounds(
        'unknown',
        'unknown',
        'ActNorm: per-channel scale learned from data; bounds need the trained scale',
      );
    }
    case 'InvertibleLinear':
    case 'InvertibleConv1x1':
      return bounds('unknown', 'unknown', `${t}: ||W|| and ||W^-1|| depend on trained weights`);
    case 'batchNormalization':
      return bounds(
        'unknown',
        'unbounded',
        'batch norm: gain gamma/sqrt(var+eps) learned; inverse 1/min(gamma/sqrt(var+eps)) unbounded as scale -> 0',
      );
    case 'layerNormalization':
      return bounds('unknown', 'unbounded', 'layer norm: gain up to gamma/sqrt(eps); not injective');
    case 'Permutation':
    case 'Squeeze':
      return bounds(1, 1, `${t}: an orthogonal rearrangement`);
    case 'dropout':
    case 'flatten':
    case 'reshape':
    case 'permute':
    case 'inputLayer':
      return bounds(1, 1, `${t}: identity up to rearrangement at inference`);
    case 'maxPooling1d':
    case 'maxPooling2d':
    case 'maxPooling3d':
    case 'averagePooling1d':
    case 'averagePooling2d':
    case 'averagePooling3d':
    case 'globalMaxPooling1d':
    case 'globalMaxPooling2d':
    case 'globalAveragePooling1d':
    case 'globalAveragePooling2d': {
      const overlapping =
        layer.config['strides'] !== undefined && layer.config['strides'] !== layer.config['poolSize'];
      return bounds(overlapping ? 'unknown' : 1, 'unbounded', `${t}: not injective`);
    }
  }
  if (layer.origin === 'custom') return customLayerBounds(layer, ctx);
  return bounds('unknown', 'unknown', `${t}: no bound known for this layer type`);
}

/**
 * Lip(g) of an InvertibleResidual (core/src/layers/invertible-residual.ts): g is hiddenUnits.length + 1 dense
 * maps, each held to spectral norm coeff (default 0.9), with activations of constant <= 1 between them.
 */
export function invertibleResidualLipschitz(
  layer: LayerNode,
): { lip: number; coeff: number; depth: number; how: string } | { unreadable: { key: string; why: string } } {
  const read = readNumberOption(layer.config, ['coeff', 'c'], layer.configUnknown);
  if (read.kind === 'unreadable') return { unreadable: read };
  const coeff = read.kind === 'number' ? read.value : 0.9;
  const hidden = layer.config['hiddenUnits'];
  // Unknown depth: c^depth <= c only when c <= 1, so fall back to the weakest statement either way.
  const depth = Array.isArray(hidden) ? hidden.length + 1 : 1;
  const act = activationConstants(configString(layer.config, 'activation') ?? 'elu')?.forward;
  const a = typeof act === 'number' ? Math.min(act, 1) : 1;
  const lip = coeff ** depth * a ** (depth - 1);
  const how = depth === 1 ? `c=${formatNumber(coeff)}` : `c^${depth} with c=${formatNumber(coeff)}`;
  return { lip, coeff, depth, how };
}

export function opBounds(op: OpNode): NodeBounds {
  const act = activationConstants(op.op);
  if (act) return bounds(act.forward, act.inverse, act.note);
  return bounds('unknown', 'unknown', `${op.op}: depends on its operands`);
}

export function describeBounds(b: NodeBounds): string {
  return `forward <= ${formatBound(b.forward)}, inverse <= ${formatBound(b.inverse)} (${b.source})`;
}
