/** Bounds of single layers and ops, read from their config (and trained weights when a checkpoint is linked). */
import { type BlockNode, type CustomLayerInfo, type LayerNode, type OpNode } from '../ir/model-ir';
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
  readOptions,
  unreadableSource,
  WEIGHTED_LAYERS,
} from './config';
import {
  AFFINE_COUPLING_DEFAULTS,
  AFFINE_UNBOUNDED_REASON,
  type AffineCouplingOptions,
  affineCouplingErrors,
  affineCouplingStatic,
  x2GainsNote,
} from '../specs/affine-coupling';

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

/** How a hand-written scale form bounds s, where the form alone says it (no constants needed). */
const FORM_GAINS: { [form: string]: { forward: Bound; inverse: Bound } } = {
  exp: { forward: 'unbounded', inverse: 'unbounded' },
  softplus: { forward: 'unbounded', inverse: 'unbounded' },
  identity: { forward: 'unbounded', inverse: 'unbounded' },
  sigmoid: { forward: 1, inverse: 'unbounded' },
};

/**
 * A hand-written affine coupling or MAF-style transform: globally unbounded whatever its scale form (see
 * core/src/specs/affine-coupling.ts), with the gains in x2 its scale's form proves (read from the code by
 * scale-form.ts) as a separate figure. A scale by learned weights alone (s does not depend on the data) is finite
 * for given weights: unknown statically.
 */
export function blockScaleBounds(block: BlockNode): NodeBounds {
  const form = block.scale ?? 'unknown';
  if (form === 'learned-param') {
    return bounds(
      'unknown',
      'unknown',
      'scale by learned weights alone (s does not depend on the data): finite for given weights',
    );
  }
  const x2Gains = block.scaleGains ??
    FORM_GAINS[form] ?? { forward: 'unknown' as Bound, inverse: 'unknown' as Bound };
  return {
    forward: 'unbounded',
    inverse: 'unbounded',
    source: `affine coupling with scale '${form}': ${AFFINE_UNBOUNDED_REASON}`,
    notes: [x2GainsNote(x2Gains)],
    x2Gains,
  };
}

/** This project's AffineCoupling, from its options (specification: core/src/specs/affine-coupling.ts). */
function affineCouplingLayerBounds(layer: LayerNode): NodeBounds {
  const read = readOptions(layer, { ...AFFINE_COUPLING_DEFAULTS });
  const unknownGains = { forward: 'unknown' as Bound, inverse: 'unknown' as Bound };
  const unboundedWith = (why: string): NodeBounds => ({
    forward: 'unbounded',
    inverse: 'unbounded',
    source: `affine coupling: ${AFFINE_UNBOUNDED_REASON}`,
    notes: [`${x2GainsNote(unknownGains)}: ${why}`],
    x2Gains: unknownGains,
  });
  if ('unreadable' in read) return unboundedWith(unreadableSource('x2 gains', read.unreadable));
  const [error] = affineCouplingErrors(read.options);
  if (error !== undefined) return unboundedWith(`the layer rejects its options (${error})`);
  return affineCouplingStatic(read.options as AffineCouplingOptions);
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
    case 'AffineCoupling':
      return affineCouplingLayerBounds(layer);
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
