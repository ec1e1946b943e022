/** Bounds of single layers and ops, read from their config (and trained weights when a checkpoint is linked). */
import { type BlockNode, type CustomLayerInfo, type LayerNode, type OpNode } from '../ir/model-ir';
import { activationConstants } from './activations';
import { plural } from '../report/plural';
import { type Bound, formatBound, formatNumber, mulBound, type NodeBounds } from './bound';
import {
  configNumber,
  configString,
  DEFAULT_SPECTRAL_COEFF,
  layerConstraint,
  readOptions,
  type Unreadable,
  unreadableSource,
  WEIGHTED_LAYERS,
} from './config';
import {
  ACT_NORM_DEFAULTS,
  actNormError,
  actNormStatic,
  additiveCouplingStatic,
  constrainedConditionerLipschitz,
  COUPLING_NET_DEFAULTS,
  couplingNetError,
  INVERTIBLE_RESIDUAL_DEFAULTS,
  invertibleLinearStatic,
  invertibleResidualStatic,
  MASKED_AUTOREGRESSIVE_UNBOUNDED_REASON,
  maskedAutoregressiveStatic,
  NEURAL_ODE_DEFAULTS,
  neuralOdeError,
  neuralOdeStatic,
  permutationStatic,
  reversibleBlockStatic,
  spectralStatic,
  squeezeStatic,
} from '../specs';
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
  /** The rank of the model's input from `@inputShape` (2: vectors, 4: images); undefined when not declared. */
  inputRank?: 2 | 4;
}

/**
 * A coupling's conditioner Lipschitz bound from its options: known when `conditionerNorm` is set (and the options
 * are accepted), for the declared input rank or, when none is declared, for images (the larger bound, 3 per 3x3
 * convolution). `lip` undefined means the conditioner's weights decide; `why` says so.
 */
export function couplingConditionerLipschitz(
  layer: LayerNode,
  rank: 2 | 4 | undefined,
): { lip: number; source: string } | { lip: undefined; why: string } {
  const read = readOptions(layer, {
    hiddenLayers: COUPLING_NET_DEFAULTS.hiddenLayers,
    activation: COUPLING_NET_DEFAULTS.activation,
    conditionerNorm: undefined,
  });
  if ('unreadable' in read) return { lip: undefined, why: unreadableSource('conditioner', read.unreadable) };
  const o = read.options as Pick<
    typeof COUPLING_NET_DEFAULTS,
    'hiddenLayers' | 'activation' | 'conditionerNorm'
  >;
  const error = couplingNetError({ ...COUPLING_NET_DEFAULTS, ...o });
  if (error !== undefined) return { lip: undefined, why: `the layer rejects its options (${error})` };
  const lip = constrainedConditionerLipschitz(o, rank ?? 4);
  if (lip === undefined)
    return {
      lip: undefined,
      why: 'the conditioner is unconstrained (no conditionerNorm): its weights decide',
    };
  const assumed = rank === undefined ? ', for image inputs (no @inputShape)' : '';
  return {
    lip,
    source: `Lip(conditioner) <= ${formatNumber(lip)}: ${plural(o.hiddenLayers + 1, 'kernel')} of norm <= ${formatNumber(o.conditionerNorm!)}${rank === 2 ? '' : ' × 3 per 3×3 convolution'}${assumed}`,
  };
}

function additiveCouplingLayerBounds(layer: LayerNode, ctx: LayerBoundContext): NodeBounds {
  const c = couplingConditionerLipschitz(layer, ctx.inputRank);
  return additiveCouplingStatic(c.lip === undefined ? undefined : c);
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
    `${linear.source} × ${act.note}`,
    linear.notes,
  );
}

/** The assumption under which a tfjs kernel constraint's bound holds. */
export const CONSTRAINT_APPLIED =
  'kernelConstraint bounds hold once the constraint has been applied: tfjs applies it after each optimiser step, not at initialisation (applyConstraints(model) applies it at once)';

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
  if (constraint?.kind === 'spectral' && constraint.uncertified !== undefined) {
    // sigma <= c is only estimated: no bound is shown as one.
    return bounds('unknown', 'unknown', `spectral norm (${label}) not certified: ${constraint.uncertified}`);
  }
  if (constraint?.kind === 'spectral') {
    const c = constraint.c ?? DEFAULT_SPECTRAL_COEFF;
    const b = spectralStatic(c, constraint.c !== undefined, label);
    // This project's Spectral* layers normalise in every call; a tfjs constraint only projects the kernel after
    // an optimiser step, so a freshly initialised kernel can exceed c.
    if (SOURCE_PREFIX[layer.layerType] === undefined) b.notes = [CONSTRAINT_APPLIED];
    return withActivation(b, layer);
  }
  if (constraint?.kind === 'column') {
    const width = configNumber(layer.config, 'units');
    if (layer.layerType === 'dense' && width !== undefined) {
      const frob = Math.sqrt(width) * constraint.maxValue;
      return withActivation(
        bounds(
          frob,
          'unknown',
          `${constraint.name} bounds columns only: sqrt(${width}) × ${formatNumber(constraint.maxValue)} (Frobenius)`,
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

/** This project's MaskedAutoregressive (specification: core/src/specs/masked-autoregressive.ts). */
function maskedAutoregressiveLayerBounds(layer: LayerNode): NodeBounds {
  const read = readOptions(layer, { ...AFFINE_COUPLING_DEFAULTS });
  const unboundedWith = (why: string): NodeBounds => ({
    forward: 'unbounded',
    inverse: 'unbounded',
    source: `masked autoregressive transform: ${MASKED_AUTOREGRESSIVE_UNBOUNDED_REASON}`,
    notes: [`gains in x_i unknown: ${why}`],
  });
  if ('unreadable' in read) return unboundedWith(unreadableSource('scale form', read.unreadable));
  const [error] = affineCouplingErrors(read.options);
  if (error !== undefined) return unboundedWith(`the layer rejects its options (${error})`);
  return maskedAutoregressiveStatic(read.options as AffineCouplingOptions);
}

/** This project's NeuralOde, from its options (specification: core/src/specs/neural-ode.ts). */
function neuralOdeLayerBounds(layer: LayerNode): NodeBounds {
  const read = readOptions(layer, {
    ...NEURAL_ODE_DEFAULTS,
    hiddenUnits: COUPLING_NET_DEFAULTS.hiddenUnits,
    hiddenLayers: COUPLING_NET_DEFAULTS.hiddenLayers,
    activation: COUPLING_NET_DEFAULTS.activation,
  });
  if ('unreadable' in read) return unreadableBounds('NeuralOde', read.unreadable);
  const o = read.options as typeof read.options & Parameters<typeof neuralOdeStatic>[0];
  const error = neuralOdeError(o) ?? couplingNetError({ ...COUPLING_NET_DEFAULTS, ...o });
  if (error !== undefined)
    return bounds('unknown', 'unknown', `NeuralOde: the layer rejects its options (${error})`);
  return neuralOdeStatic(o);
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
      return 'unreadable' in r ? unreadableBounds(t, r.unreadable) : r.bounds;
    }
    case 'AffineCoupling':
      return affineCouplingLayerBounds(layer);
    case 'AdditiveCoupling':
      return additiveCouplingLayerBounds(layer, ctx);
    case 'NeuralOde':
      return neuralOdeLayerBounds(layer);
    case 'MaskedAutoregressive':
      return maskedAutoregressiveLayerBounds(layer);
    case 'ReversibleBlock': {
      // F and G are conditioner MLPs on vectors (the layer takes rank 2 only).
      const c = couplingConditionerLipschitz(layer, 2);
      return reversibleBlockStatic(c.lip === undefined ? undefined : c);
    }
    case 'ActNorm': {
      const read = readOptions(layer, { scaleParam: ACT_NORM_DEFAULTS.scaleParam, scaleBound: undefined });
      if ('unreadable' in read) return unreadableBounds(t, read.unreadable);
      const o = { ...read.options, epsilon: ACT_NORM_DEFAULTS.epsilon };
      // Options the layer rejects (scaleBound <= 1, or with scaleParam 'direct') bound nothing.
      return actNormStatic(actNormError(o) === undefined ? o : { scaleBound: undefined });
    }
    case 'InvertibleLinear':
    case 'InvertibleConv1x1':
      return invertibleLinearStatic(t);
    case 'batchNormalization':
      // Finite for given weights (gamma != 0), like ActNorm's: unknown, not unbounded.
      return bounds(
        'unknown',
        'unknown',
        'batch norm: gain gamma/sqrt(var+eps) learned; inverse 1/min(gamma/sqrt(var+eps)) grows without bound as a scale -> 0',
      );
    case 'layerNormalization':
      return bounds('unknown', 'unbounded', 'layer norm: gain up to gamma/sqrt(eps); not injective');
    case 'Permutation':
      return permutationStatic();
    case 'Squeeze':
      return squeezeStatic();
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

function unreadableBounds(layerType: string, unreadable: Unreadable): NodeBounds {
  return bounds('unknown', 'unknown', unreadableSource(layerType, unreadable));
}

/**
 * Lip(g) of an InvertibleResidual from its options (specification: core/src/specs/invertible-residual.ts); the
 * option that keeps it unknown when one is present but not readable.
 */
export function invertibleResidualLipschitz(
  layer: LayerNode,
): { lip: number; coeff: number; bounds: NodeBounds } | { unreadable: Unreadable } {
  const read = readOptions(layer, { coeff: INVERTIBLE_RESIDUAL_DEFAULTS.coeff }, { coeff: ['coeff', 'c'] });
  if ('unreadable' in read) return read;
  const { coeff } = read.options;
  const hidden = layer.config['hiddenUnits'];
  const act = activationConstants(
    configString(layer.config, 'activation') ?? INVERTIBLE_RESIDUAL_DEFAULTS.activation,
  )?.forward;
  const b = invertibleResidualStatic({
    coeff,
    depth: Array.isArray(hidden) ? hidden.length + 1 : undefined,
    activationLipschitz: typeof act === 'number' ? act : undefined,
  });
  const { lip, ...nodeBounds } = b;
  return { lip, coeff, bounds: nodeBounds };
}

export function opBounds(op: OpNode): NodeBounds {
  const act = activationConstants(op.op);
  if (act) return bounds(act.forward, act.inverse, act.note);
  return bounds('unknown', 'unknown', `${op.op}: depends on its operands`);
}

export function describeBounds(b: NodeBounds): string {
  return `forward <= ${formatBound(b.forward)}, inverse <= ${formatBound(b.inverse)} (${b.source})`;
}
