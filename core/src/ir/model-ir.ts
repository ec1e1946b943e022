/**
 * The model IR: what static extraction reads out of TS/JS model code. Plain JSON-compatible data (never
 * ts-morph nodes or tensors), so it can cross process boundaries and be cached per file.
 */
import type { InputDomain } from '../specs/input-domain';

/** Zero-based positions, as LSP uses them; the CLI adds one when printing. */
export interface Position {
  line: number;
  character: number;
}

export interface SourceRange {
  /** Absolute file path. */
  file: string;
  start: Position;
  end: Position;
}

/** A value the extractor could not resolve statically. Never guessed. */
export interface UnknownValue {
  kind: 'unknown';
  /** Source text of the expression, for messages. */
  text: string;
  reason: string;
}

/**
 * A call expression kept symbolically, e.g. `tf.constraints.maxNorm({maxValue: 2})` or `spectralNorm({c: 0.9})`.
 * `new X(...)` is kept the same way, with the class name as callee (`SpectralNormConstraint`).
 */
export interface CallValue {
  kind: 'call';
  /**
   * Callee with the tfjs namespace normalised away: `constraints.maxNorm`, `spectralNorm`, `layers.dense`.
   * This project's exports appear by their exported name, whatever the local alias (`spectralNorm`).
   */
  callee: string;
  args: ConfigValue[];
  range: SourceRange;
}

export type ConfigValue =
  | number
  | string
  | boolean
  | null
  | ConfigValue[]
  | { [key: string]: ConfigValue }
  | UnknownValue
  | CallValue;

/** Where a layer class comes from. */
export type LayerOrigin = 'tfjs' | 'lipschitz-lens' | 'custom' | 'unknown';

/**
 * An instantiated layer, e.g. `tf.layers.dense({units: 8})` or `new SpectralDense({...})`.
 * This project's layers are leaves: their wiring follows from `layerType` and `config` (`InvertibleResidual` with
 * `config.coeff`, `AffineCoupling` with `config.scale`, ...), they are not wrapped in blocks.
 * `origin: 'unknown'` marks a list entry that could not be read (a call into an unknown package, ...).
 */
export interface LayerNode {
  kind: 'layer';
  id: string;
  /**
   * The layer type: the tfjs factory name for built-ins (`dense`, `conv2d`, `batchNormalization`, `activation`,
   * `dropout`, `maxPooling2d`, ...), the class name for this project's layers (`SpectralDense`,
   * `AffineCoupling`, `InvertibleResidual`, ...) and for custom classes.
   */
  layerType: string;
  origin: LayerOrigin;
  /** The resolved first argument (the layer's config object); unresolvable entries are `UnknownValue`s. */
  config: { [key: string]: ConfigValue };
  /**
   * Set when the config as a whole, or a spread inside it, could not be read: keys may then be missing from
   * `config`, so "no kernelConstraint" is not known.
   */
  configUnknown?: UnknownValue;
  /** The creating call: `tf.layers.dense({...})` or `new X(...)`. */
  range: SourceRange;
  /** For custom layers: the class, when it was found (look it up in `FileIr.customLayers`, or `customClassFile`). */
  customClass?: string;
  /** For custom layers whose class lives in another file (imported relatively): that file. */
  customClassFile?: string;
  /**
   * For a layer written in another file than the one extracted (a helper imported from it): the call in the
   * extracted file that leads to its creation.
   */
  via?: SourceRange;
}

/** A tensor op applied directly (functional API or inside a custom layer), e.g. `tf.exp(h)` or `tf.relu`. */
export interface OpNode {
  kind: 'op';
  id: string;
  /** Op name without the namespace: `exp`, `sigmoid`, `div`, `add`, `relu`, `softplus`, `tanh`, ... */
  op: string;
  range: SourceRange;
}

/**
 * How a block's children are wired.
 * - `sequence`: children applied in order.
 * - `residual`: x + branch(x); children form the branch, the skip is the identity.
 * - `additive-coupling`: y2 = x2 + t(x1); children form t.
 * - `affine-coupling`: y2 = x2 * s(x1) + t(x1); children form the conditioner; `scale` says how s is formed.
 *   Also MAF-style autoregressive transforms (y = x * s(x<i) + t(x<i)) and elementwise scalings by learned
 *   weights (x1 empty).
 * - `choice`: one of the children, chosen on a path not known statically (a `switch` over a config); each child
 *   sits where the block sits, and a bound holds for the block when it holds for every child.
 * - `multi-scale`: a MultiScaleFlow's body; each child is one level (a `sequence` of its steps), and every level
 *   but the last factors out half of its state, which skips the later levels unchanged (bounds compose level by
 *   level, core/src/specs/multi-scale-flow.ts, not as a product over the steps).
 * - `graph`: wiring the extractor recognised only partly; bounds are unknown.
 */
export type Wiring =
  'sequence' | 'residual' | 'additive-coupling' | 'affine-coupling' | 'choice' | 'multi-scale' | 'graph';

/**
 * How an affine coupling turns the conditioner's output h into the scale s (see core/src/extract/scale-form.ts).
 * - Unbounded: `exp` (exp(h)), `sigmoid` and `softplus` (can reach 0), `identity` (s = h).
 * - Bounded: `bounded-tanh` (exp(c tanh(h / c))), `soft-clamp` (exp(c 0.636 atan(h / c))), `clamped`
 *   (exp(clipByValue(h, a, b)), exp(minimum(maximum(h, a), b)), sigmoid of a bounded h), `sigmoid-floor`
 *   (sigmoid(h + 2) + eps), `softplus-floor` (softplus(h) + eps: bounded below only).
 * - `learned-param`: exp of a learned weight (ActNorm-style, NICE's final scaling): finite for given weights,
 *   but training can drive it to 0 or infinity.
 */
export type ScaleForm =
  | 'exp'
  | 'sigmoid'
  | 'softplus'
  | 'bounded-tanh'
  | 'soft-clamp'
  | 'clamped'
  | 'sigmoid-floor'
  | 'softplus-floor'
  | 'learned-param'
  | 'identity'
  | 'unknown';

/** A proven gain, `'unbounded'`, or `'unknown'` (finite, but a constant or weight it needs is not known). */
export type ScaleGain = number | 'unbounded' | 'unknown';

/** The x2-direction gains of an affine transform, forward and inverse, as far as the scale's form proves them. */
export interface ScaleGains {
  forward: ScaleGain;
  inverse: ScaleGain;
}

/** An op that forms a scale of the data, and how (see `CustomLayerInfo.scaleOps`). */
export interface ScaleSite {
  form: ScaleForm;
  range: SourceRange;
}

export interface BlockNode {
  kind: 'block';
  id: string;
  wiring: Wiring;
  children: IrNode[];
  /**
   * A model body: the creating call (`tf.sequential(...)`). A residual/graph block from the functional API: the
   * merging call (`tf.add(x, h)`, `tf.layers.add().apply([x, h])`). A custom-layer instance: `new X(...)`.
   */
  range: SourceRange;
  /** For affine couplings. */
  scale?: ScaleForm;
  /** For hand-written affine couplings: the gains the scale's form proves (never guessed constants). */
  scaleGains?: ScaleGains;
  /** The node that creates the wiring (the residual `add`, the coupling's scale op), for related information. */
  anchor?: SourceRange;
  /**
   * The name the code gives a block built by a merge: the merging layer's `name` config
   * (`tf.layers.add({ name: 'block0_in' })`), else the variable its result is declared as
   * (`const block0_in = tf.add(x, h)`). Unset when the code gives none.
   */
  name?: string;
  /**
   * When the block is one instance of a hand-written custom layer recognised as a coupling or residual, or of a
   * transform written without a class (an object with forward/inverse, a module-level xForward/xInverse pair,
   * given a class named after its variable or factory): the instance itself (origin `custom`). Kept out of
   * `children` (which are the conditioner/branch: the layers the class creates or the functions close over);
   * `walk` visits it right after the block.
   */
  instance?: LayerNode;
}

export type IrNode = LayerNode | OpNode | BlockNode;

/** How the model was written. */
export type ModelApi = 'sequential' | 'functional' | 'flow' | 'custom-layer';

export interface ModelNode {
  kind: 'model';
  id: string;
  /** Variable, function or export name, for messages and the audit. */
  name: string;
  api: ModelApi;
  /** The name's identifier (variable, function or class) when there is one, else the creating call. */
  range: SourceRange;
  body: BlockNode;
  /** What the model is meant to be, decided from the code; the rules grade by it (see `ModelIntent`). */
  intent: ModelIntent;
  /** JSDoc `@checkpoint path/to/model.json`, resolved against the file's folder. */
  checkpoint?: string;
  /** JSDoc `@inputShape 8` or `@inputShape [32, 32, 3]`: one point's shape, for the audit. */
  inputShape?: number[];
  /**
   * For a model built inside an exported factory model of the file and not exported itself (a GAN's `cnn` inside
   * `buildGenerator`): that factory's name. The audit loads exports, so it reaches this one through the factory.
   */
  builtInside?: string;
  /** An `@inputShape` tag whose text is not a shape (the quick fix's `[n]` not filled in yet): what is wrong. */
  inputShapeError?: string;
  /** JSDoc `@auditArgs [4, 64]`: the arguments the audit passes to a factory export (JSON). */
  auditArgs?: unknown[];
  /**
   * JSDoc `@inputDomain box [lo, hi]` or `@inputDomain ball r`: the set the model's inputs are promised to lie in,
   * which gives maps that are not globally Lipschitz (affine couplings) a bound on it; or why the tag was not read.
   */
  inputDomain?: InputDomain | { error: string };
  /** The export name when the model (or the factory that returns it) is exported. */
  exportName?: string;
}

/**
 * What a model is meant to be. `invertible`: it must have an inverse (a flow, an i-ResNet); `lipschitz`: it must
 * have a global Lipschitz bound (a Wasserstein critic); `ordinary`: neither (a classifier, a VAE, a GAN
 * discriminator trained with cross-entropy). Invertible wins over lipschitz, which wins over ordinary.
 */
export type IntentKind = 'invertible' | 'lipschitz' | 'ordinary';

/** One piece of evidence read from the code, with where it was read. */
export interface IntentSignal {
  /** What was seen, as a phrase: "contains an affine coupling", "a gradient penalty (tf.grad and a norm)". */
  message: string;
  range: SourceRange;
}

export interface ModelIntent {
  kind: IntentKind;
  /** The evidence that decided `kind`, strongest first; for `ordinary`, what was seen instead (may be empty). */
  signals: IntentSignal[];
}

/** One line for messages and hovers: "invertible (contains an affine coupling; a log-determinant term)". */
export function describeIntent(intent: ModelIntent): string {
  const why = intent.signals
    .slice(0, 3)
    .map((s) => s.message)
    .join('; ');
  if (intent.kind === 'ordinary')
    return why ? `ordinary (${why})` : 'ordinary (no sign that it must be invertible or Lipschitz-bounded)';
  return `${intent.kind} (${why})`;
}

/**
 * What a custom layer class computes, read from its `call()` (or `forward()`); also a plain class with
 * forward/inverse, and a transform written as an object or a function pair, under a class name made for it.
 */
export interface CustomLayerInfo {
  className: string;
  /** The class name's identifier. */
  range: SourceRange;
  /** The whole declaration (class, or the object literal of a transform): what a finding inside it concerns. */
  declaration: SourceRange;
  /** Ops used in `call()` (and helpers it calls in the same class). */
  ops: OpNode[];
  /** `call()` adds its input to something: a residual layer. */
  addsInput: boolean;
  /** Defines an `inverse` method. */
  hasInverse: boolean;
  /** Declares itself invertible (implements/extends something invertible, or JSDoc `@invertible`). */
  claimsInvertible: boolean;
  /** Creates weights with `addWeight`. */
  weighted: boolean;
  /** Splits its input (`tf.split`, `slice`): the first half of a coupling. */
  splitsInput?: boolean;
  /** How `call()` is wired, when recognised: `residual`, `affine-coupling` or `additive-coupling`. */
  wiring?: Wiring;
  /** For an affine coupling: how the scale is formed, and the op that forms it. */
  scale?: ScaleForm;
  scaleAnchor?: SourceRange;
  scaleGains?: ScaleGains;
  /**
   * Ops that scale the data (the input or a half) by learned weights alone: `x * exp(this.logs)`, FrEIA's global
   * `softplus(w)`. Constant in the input (never a non-Lipschitz op); the inverse gain `1 / min s` is finite for
   * given weights, but training can drive it up.
   */
  learnedScales?: SourceRange[];
  /**
   * In an invertible transform (an inverse, or a coupling): every op that forms a scale of the data, i.e. an
   * exp/sigmoid/softplus whose result multiplies or divides the data (the input or a half) other than through a
   * conditioner, with the form of its scale. Scales, never non-Lipschitz activations: unbounded-coupling-scale
   * reports the unbounded forms, unbounded-inverse-gain the learned ones.
   */
  scaleOps?: ScaleSite[];
  /** Layers the class creates (in the constructor, `build()`, fields): the conditioner or branch. */
  layers?: LayerNode[];
}

/** Something the extractor could not read, surfaced for the user instead of failing. */
export interface ExtractionNote {
  message: string;
  range: SourceRange;
}

/** Parsed once per file; extraction never throws, so callers need no try/catch. */

export interface FileIr {
  file: string;
  models: ModelNode[];
  customLayers: CustomLayerInfo[];
  /** Layers created outside any recognised model, still linted (e.g. inside helpers whose caller is unknown). */
  looseLayers: LayerNode[];
  notes: ExtractionNote[];
  /** Other files the extraction read (relative imports followed): a change there can change this file's IR. */
  reads?: string[];
}

export function isUnknown(value: ConfigValue | undefined): value is UnknownValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'unknown';
}

export function isCall(value: ConfigValue | undefined): value is CallValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.kind === 'call';
}

/** Visits every node below `node`, parents first, with the chain of enclosing blocks. */
export function walk(node: IrNode, visit: (node: IrNode, ancestors: readonly BlockNode[]) => void): void {
  const go = (n: IrNode, ancestors: BlockNode[]): void => {
    visit(n, ancestors);
    if (n.kind === 'block') {
      const inner = [...ancestors, n];
      if (n.instance) visit(n.instance, inner);
      for (const child of n.children) go(child, inner);
    }
  };
  go(node, []);
}
