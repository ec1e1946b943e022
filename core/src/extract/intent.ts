/**
 * Model intent, decided from the code (one definition, used by the rule grades, the hover and the audit):
 * invertible, Lipschitz-bounded or ordinary, with the signals that decided it.
 *
 * - Invertible: a `Flow`, `@invertible`, couplings or this project's bijections in the body, custom classes with
 *   `inverse()`. A model whose only invertible-looking structure is `x + g(x)` (i-ResNet or ResNet classifier?)
 *   needs one more sign: invertible naming, a log-det term, a fixed-point inverse or an inverse function.
 * - Lipschitz: `@lipschitz`, spectral normalisation used in the model, or a critic objective in the file
 *   (Wasserstein or hinge loss, gradient penalty, weight clipping) that concerns this model. A name alone
 *   ("discriminator", "critic") is not evidence: a GAN discriminator trained with cross-entropy is ordinary.
 */
import { ts } from 'ts-morph';
import type {
  BlockNode,
  CustomLayerInfo,
  IntentSignal,
  IrNode,
  LayerNode,
  ModelIntent,
  ModelNode,
} from '../ir/model-ir';
import { walk } from '../ir/model-ir';
import { layerConstraint } from '../bounds/config';
import type { Marks } from './jsdoc';
import { INVERTIBLE_LENS_LAYERS } from './layers';
import type { ModuleCtx } from './module';

/** Structural evidence read from one model's body, before the file is scanned. */
export interface StructuralIntent {
  invertible: IntentSignal[];
  lipschitz: IntentSignal[];
  /** Residual blocks in the body: invertible only with a further sign. */
  residual?: BlockNode;
}

const SPECTRAL_LENS = new Set(['SpectralDense', 'SpectralConv2D']);

/** Splits `buildRealNVPFlow` / `log_det_jac` / `iResNet` into lower-case words. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Words that name an invertible architecture and nothing else. */
const INVERTIBLE_WORDS = new Set([
  'glow',
  'realnvp',
  'nvp',
  'invertible',
  'iresnet',
  'irevnet',
  'revnet',
  'reversible',
  'bijector',
  'bijection',
  'bijective',
  'maf',
  'iaf',
  'normalizing',
  'normalising',
]);
/**
 * Words that suggest a flow but name other things too (optical or traffic flow, a coupling's conditioner net):
 * weak evidence, which an ordinary training objective on the model overrules.
 */
const WEAK_WORDS = new Set(['flow', 'flows', 'coupling']);
/** A part of a flow rather than the flow: `couplingNet`, `flowNet`, `stNet`, `subnet`, `conditioner`. */
const PART_WORDS = new Set(['net', 'network', 'mlp', 'nn', 'fn', 'subnet', 'conditioner', 'st']);
/** Acronyms that are English words in lower case: only counted as written in capitals, as a word of their own. */
const INVERTIBLE_ACRONYMS = /(?<![A-Z])(NICE|INN|MADE)(?:(?![A-Za-z])|(?=[A-Z][a-z]))/;
/** Names that camel-case splitting cuts apart (`iResNet` -> i, res, net). */
const INVERTIBLE_JOINED = /iresnet|irevnet|revnet|realnvp/;

/** Whether a name says the model is invertible: `strong` for architecture names, else only suggests it. */
export function invertibleName(name: string): { strong: boolean } | undefined {
  const w = words(name);
  if (w.some((x) => x === 'subnet' || x === 'conditioner')) return undefined;
  if (INVERTIBLE_ACRONYMS.test(name)) return { strong: true };
  if (INVERTIBLE_JOINED.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''))) return { strong: true };
  if (w.some((x) => INVERTIBLE_WORDS.has(x))) return { strong: true };
  const i = w.findIndex((x) => WEAK_WORDS.has(x));
  if (i < 0 || PART_WORDS.has(w[i + 1] ?? '')) return undefined;
  return { strong: false };
}

/** Log-determinants of something else than a Jacobian: a Gaussian's covariance, a kernel matrix. */
const NOT_JACOBIAN = new Set([
  'cov',
  'covariance',
  'sigma',
  'var',
  'variance',
  'precision',
  'kernel',
  'gram',
]);

/**
 * `logdet`, `logDet`, `log_det_jacobian`, `logabsdet`, `ldj`, `sldj`: whole words only (`buildJson` and
 * `logDetails` are not log-dets), and not a covariance's (`logDetCov`).
 */
export function isLogDetName(name: string): boolean {
  const w = words(name);
  if (w.some((x) => NOT_JACOBIAN.has(x))) return false;
  if (w.some((x) => x === 'logdet' || x === 'logabsdet' || x === 'ldj' || x === 'sldj')) return true;
  for (let i = 0; i + 1 < w.length; i++) {
    if (w[i] !== 'log') continue;
    const next = w[i + 1] === 'abs' ? w[i + 2] : w[i + 1];
    if (next === 'det' || next === 'determinant' || next === 'jac' || next === 'jacobian') return true;
  }
  return false;
}

/** Evidence from the body (and the JSDoc marks) of one model. */
export function structuralIntent(
  api: ModelNode['api'],
  body: BlockNode,
  marks: Marks,
  modelRange: ModelNode['range'],
  classOf: (name: string) => CustomLayerInfo | undefined,
): StructuralIntent {
  const out: StructuralIntent = { invertible: [], lipschitz: [] };
  if (marks.invertible) out.invertible.push({ message: 'JSDoc @invertible', range: modelRange });
  if (api === 'flow') out.invertible.push({ message: 'built as a Flow', range: modelRange });
  if (marks.lipschitz) out.lipschitz.push({ message: 'JSDoc @lipschitz', range: modelRange });
  const once = new Set<string>();
  const add = (list: IntentSignal[], message: string, node: IrNode): void => {
    if (once.has(message)) return;
    once.add(message);
    list.push({ message, range: node.kind === 'block' ? (node.anchor ?? node.range) : node.range });
  };
  walk(body, (n) => {
    if (n.kind === 'block') {
      if (n.wiring === 'affine-coupling') add(out.invertible, 'contains an affine coupling', n);
      if (n.wiring === 'additive-coupling') add(out.invertible, 'contains an additive coupling', n);
      if (n.wiring === 'residual') out.residual ??= n;
      return;
    }
    if (n.kind !== 'layer') return;
    if (n.origin === 'lipschitz-lens' && INVERTIBLE_LENS_LAYERS.has(n.layerType))
      add(out.invertible, `contains ${n.layerType}`, n);
    if (n.origin === 'lipschitz-lens' && SPECTRAL_LENS.has(n.layerType))
      add(out.lipschitz, `spectral normalisation (${n.layerType})`, n);
    else if (layerConstraint(n)?.kind === 'spectral')
      add(out.lipschitz, 'spectral normalisation (spectralNorm constraint)', n);
    const info = n.origin === 'custom' ? classOf(n.customClass ?? n.layerType) : undefined;
    if (info?.hasInverse) add(out.invertible, `uses ${info.className}, which defines inverse()`, n);
    else if (info?.claimsInvertible) add(out.invertible, `uses ${info.className}, declared invertible`, n);
    else if (info?.addsInput) out.residual ??= residualOf(n);
  });
  return out;
}

function residualOf(layer: LayerNode): BlockNode {
  return { kind: 'block', id: '', wiring: 'residual', children: [], range: layer.range };
}

/** Evidence found somewhere in a file, with the names used where it was found (to tell which model it is about). */
interface FileSignal extends IntentSignal {
  mentions: ReadonlySet<string>;
  /** A fixed-point inverse: only an i-ResNet has one. Weak: log-dets and inverse functions, which flows have too. */
  strong?: boolean;
  /** Hinge losses train SVMs too: evidence only for a model named as a critic. */
  criticsOnly?: boolean;
}

export interface FileSignals {
  invertible: FileSignal[];
  /** Critic objectives: Wasserstein or hinge losses, gradient penalties, weight clipping. */
  lipschitz: FileSignal[];
  /** Ordinary training objectives (cross-entropy, MSE). */
  ordinary: FileSignal[];
}

const CROSS_ENTROPY =
  /^(binaryCrossentropy|sigmoidCrossEntropy|categoricalCrossentropy|sparseCategoricalCrossentropy|softmaxCrossEntropy|meanSquaredError|meanAbsoluteError|logLoss|huberLoss|absoluteDifference)$/;

function calleeName(call: ts.CallExpression): string | undefined {
  const c = call.expression;
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  return undefined;
}

function enclosingFunction(n: ts.Node): ts.Node | undefined {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p;
  return undefined;
}

/** What a scope holds, read once per scope: identifiers, callee names, subtractions of 1. */
interface ScopeFacts {
  names: Set<string>;
  callees: Set<string>;
  /** `x.sub(1)`, `tf.sub(x, 1)`, `x - 1`: the shape of a gradient penalty `(||g|| - 1)^2`. */
  subtractsOne: boolean;
}

function isOne(e: ts.Expression | undefined): boolean {
  if (!e) return false;
  if (ts.isNumericLiteral(e)) return Number(e.text) === 1;
  // `tf.scalar(1)`, `tf.onesLike(n)`
  if (ts.isCallExpression(e)) {
    const name = calleeName(e);
    return (name === 'scalar' && isOne(e.arguments[0])) || name === 'onesLike';
  }
  return false;
}

function factsOf(scope: ts.Node, cache: Map<ts.Node, ScopeFacts>): ScopeFacts {
  const hit = cache.get(scope);
  if (hit) return hit;
  const facts: ScopeFacts = { names: new Set(), callees: new Set(), subtractsOne: false };
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) facts.names.add(n.text);
    else if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (name !== undefined) {
        facts.callees.add(name);
        const args = n.arguments;
        const method = ts.isPropertyAccessExpression(n.expression);
        if (name === 'sub' && (method ? isOne(args[0]) : isOne(args[1]))) facts.subtractsOne = true;
      }
    } else if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind === ts.SyntaxKind.MinusToken &&
      isOne(n.right)
    )
      facts.subtractsOne = true;
    ts.forEachChild(n, visit);
  };
  visit(scope);
  cache.set(scope, facts);
  return facts;
}

/**
 * `x = y - g(x)` / `x = y.sub(g.apply(x))` / `x = tf.sub(y, f(x))` in a loop: the fixed-point inverse of
 * x + g(x). The subtracted term must apply something to x (an EMA `m = m - a * (m - v)` does not).
 */
function isFixedPointStep(n: ts.BinaryExpression): boolean {
  if (n.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isIdentifier(n.left)) return false;
  const v = n.left.text;
  let r: ts.Expression = n.right;
  while (ts.isParenthesizedExpression(r) || ts.isAsExpression(r)) r = r.expression;
  let subtrahend: ts.Expression | undefined;
  if (ts.isCallExpression(r) && calleeName(r) === 'sub') {
    const c = r.expression;
    subtrahend =
      ts.isPropertyAccessExpression(c) && r.arguments.length === 1 ? r.arguments[0] : r.arguments[1];
  } else if (ts.isBinaryExpression(r) && r.operatorToken.kind === ts.SyntaxKind.MinusToken)
    subtrahend = r.right;
  return subtrahend !== undefined && appliesTo(subtrahend, v);
}

/** Whether `e` holds a call taking `v` (or `v.something`) as an argument: g(x), g.apply(x), this.g.predict(x). */
function appliesTo(e: ts.Node, v: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n))
      for (const a of n.arguments) {
        let x: ts.Expression = a;
        while (ts.isAsExpression(x) || ts.isParenthesizedExpression(x) || ts.isNonNullExpression(x))
          x = x.expression;
        if (ts.isIdentifier(x) && x.text === v) found = true;
      }
    ts.forEachChild(n, visit);
  };
  visit(e);
  return found;
}

function inLoop(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p && !ts.isFunctionLike(p); p = p.parent)
    if (ts.isIterationStatement(p, false)) return true;
  return false;
}

type NameSignal = 'logdet' | 'wasserstein' | 'hinge' | 'penalty';

/** Cheap test first: most identifiers contain none of these, and splitting every one into words is not free. */
const MAY_SIGNAL = /log|det|ldj|wass|wgan|earth|hinge|penal|gp/i;

/** What an identifier's words say about the objective or the model. */
function nameSignals(name: string): NameSignal[] {
  if (!MAY_SIGNAL.test(name)) return [];
  const out: NameSignal[] = [];
  if (isLogDetName(name)) out.push('logdet');
  const w = words(name);
  if (w.includes('wasserstein') || w.includes('wgan') || w.includes('earthmover')) out.push('wasserstein');
  if (w.includes('hinge')) out.push('hinge');
  if ((w.includes('penalty') && w.some((x) => x === 'gradient' || x === 'grad')) || w.includes('gp'))
    out.push('penalty');
  return out;
}

const GRADIENTS = new Set(['grad', 'grads', 'valueAndGrad', 'valueAndGrads']);

/** The receiver's identifiers when `n` sits in `model.compile(...)`: the objective is that model's. */
function compiledModel(n: ts.Node): Set<string> | undefined {
  for (let p: ts.Node | undefined = n.parent; p && !ts.isFunctionLike(p); p = p.parent) {
    if (ts.isCallExpression(p) && ts.isPropertyAccessExpression(p.expression)) {
      if (p.expression.name.text !== 'compile') continue;
      const names = new Set<string>();
      const visit = (x: ts.Node): void => {
        if (ts.isIdentifier(x)) names.add(x.text);
        ts.forEachChild(x, visit);
      };
      visit(p.expression.expression);
      return names;
    }
  }
  return undefined;
}

export function scanFileSignals(mod: ModuleCtx): FileSignals {
  const out: FileSignals = { invertible: [], lipschitz: [], ordinary: [] };
  const byName = new Map<string, NameSignal[]>();
  const facts = new Map<ts.Node, ScopeFacts>();
  const seen = new Set<string>();
  const factsAt = (n: ts.Node): ScopeFacts => factsOf(enclosingFunction(n) ?? mod.sf, facts);
  const add = (
    list: FileSignal[],
    message: string,
    n: ts.Node,
    extra: Partial<FileSignal> & { mentions?: ReadonlySet<string> } = {},
  ): void => {
    const key = `${message}@${n.pos}`;
    if (seen.has(key)) return;
    seen.add(key);
    list.push({ message, range: mod.range(n), mentions: factsAt(n).names, ...extra });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const name = n.text;
      let kinds = byName.get(name);
      if (kinds === undefined) {
        kinds = nameSignals(name);
        byName.set(name, kinds);
      }
      for (const kind of kinds) {
        if (kind === 'logdet') add(out.invertible, `a log-determinant term ('${name}')`, n);
        else if (kind === 'hinge')
          add(out.lipschitz, `a hinge objective ('${name}')`, n, { criticsOnly: true });
        else if (kind === 'wasserstein') add(out.lipschitz, `a Wasserstein objective ('${name}')`, n);
        else add(out.lipschitz, `a gradient penalty ('${name}')`, n);
      }
      const decl = n.parent;
      if (
        (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) &&
        decl.name === n &&
        /^(inverse|invert)(?![a-z])/i.test(name) &&
        !words(name).includes('transform')
      )
        // The function's own body says which model it inverts.
        add(out.invertible, `an inverse function ('${name}')`, n, { mentions: factsOf(decl, facts).names });
    } else if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      const here = name === undefined ? undefined : factsAt(n);
      // Clipping weights (not activations): the same function writes weights back.
      if (
        name === 'clipByValue' &&
        (here!.callees.has('assign') || here!.callees.has('setWeights') || here!.callees.has('write'))
      )
        add(out.lipschitz, 'weight clipping (clipByValue written back to the weights)', n);
      // A gradient penalty: gradients, their norm, and (norm - 1) squared or rectified; it concerns the models
      // the differentiated function calls.
      if (name !== undefined && GRADIENTS.has(name) && here!.callees.has('norm') && here!.subtractsOne) {
        const f = n.arguments[0];
        const mentions = f && ts.isFunctionLike(f) ? factsOf(f, facts).names : here!.names;
        add(out.lipschitz, 'a gradient penalty (the norm of input gradients pulled to 1)', n, { mentions });
      }
      if (name === 'hingeLoss') add(out.lipschitz, 'a hinge objective (hingeLoss)', n, { criticsOnly: true });
      if (name !== undefined && CROSS_ENTROPY.test(name)) {
        const compiled = compiledModel(n);
        add(out.ordinary, `an ordinary objective (${name})`, n, compiled ? { mentions: compiled } : {});
      }
    } else if (ts.isStringLiteral(n) && CROSS_ENTROPY.test(n.text)) {
      const compiled = compiledModel(n);
      add(out.ordinary, `an ordinary objective ('${n.text}')`, n, compiled ? { mentions: compiled } : {});
    } else if (ts.isBinaryExpression(n) && inLoop(n) && isFixedPointStep(n)) {
      add(out.invertible, 'a fixed-point inverse (x = y - g(x) in a loop)', n, { strong: true });
    }
    ts.forEachChild(n, visit);
  };
  visit(mod.sf);
  return out;
}

const CRITIC_WORDS = new Set(['critic', 'discriminator', 'disc']);

/** Names by which code refers to a model: its own, its export's, and the field of `Class.field`. */
function namesOf(model: ModelNode): string[] {
  const names = [model.name, model.exportName ?? ''].filter(Boolean);
  const field = model.name.includes('.') ? model.name.split('.').pop() : undefined;
  return [...new Set(field ? [...names, field] : names)];
}

const isCritic = (m: ModelNode): boolean => namesOf(m).some((n) => words(n).some((w) => CRITIC_WORDS.has(w)));

/**
 * The models a signal found in the file concerns: those it mentions (critics first, for critic objectives),
 * else the file's critics (critic objectives), else the file's only model. A training step that mentions the
 * generator and the critic constrains the critic only.
 */
function targets(signal: FileSignal, models: readonly ModelNode[], critic: boolean): Set<ModelNode> {
  const mentioned = models.filter((m) => namesOf(m).some((n) => signal.mentions.has(n)));
  if (critic) {
    const critics = models.filter(isCritic);
    const mentionedCritics = mentioned.filter(isCritic);
    if (mentionedCritics.length > 0) return new Set(mentionedCritics);
    if (critics.length > 0) return new Set(critics);
    if (signal.criticsOnly) return new Set();
  }
  if (mentioned.length > 0) return new Set(mentioned);
  return new Set(models.length === 1 ? models : []);
}

const structureOf = new WeakMap<ModelNode, StructuralIntent>();

/** Keeps a model's structural evidence until `decideIntents` reads the whole file. */
export function rememberStructure(model: ModelNode, s: StructuralIntent): void {
  structureOf.set(model, s);
}

const plain = (sig: IntentSignal): IntentSignal => ({ message: sig.message, range: sig.range });

/** Decides every model's intent from its structure, its name and the file's signals. */
export function decideIntents(
  models: ModelNode[],
  mod: ModuleCtx,
  classes: readonly CustomLayerInfo[],
): ModelNode[] {
  const file = scanFileSignals(mod);
  // In a file with couplings, residual nets are most likely their conditioners (nflows' ResidualNet): the
  // file's log-det terms belong to the couplings, so only a fixed-point inverse speaks for an i-ResNet.
  const couplings =
    classes.some((c) => c.wiring === 'affine-coupling' || c.wiring === 'additive-coupling') ||
    models.some((m) => (structureOf.get(m)?.invertible.length ?? 0) > 0);
  const residual = models.filter((m) => structureOf.get(m)?.residual);
  const concerned = (list: FileSignal[], critic: boolean): Map<FileSignal, Set<ModelNode>> =>
    new Map(list.map((sig) => [sig, targets(sig, models, critic)]));
  // A fixed-point inverse that names no model is still about the file's residual models.
  const strong = new Map(
    file.invertible
      .filter((sig) => sig.strong)
      .map((sig) => {
        const to = targets(sig, models, false);
        return [sig, to.size > 0 ? to : new Set(residual)] as const;
      }),
  );
  const weak = concerned(
    file.invertible.filter((sig) => !sig.strong && !couplings),
    false,
  );
  const lip = concerned(file.lipschitz, true);
  const ord = concerned(file.ordinary, false);
  const about = (m: ModelNode, sigs: Map<FileSignal, Set<ModelNode>>): IntentSignal[] =>
    [...sigs].filter(([, to]) => to.has(m)).map(([sig]) => plain(sig));
  for (const model of models) {
    const s = structureOf.get(model) ?? { invertible: [], lipschitz: [] };
    model.intent = decide(
      model,
      s,
      about(model, strong),
      about(model, weak),
      about(model, lip),
      about(model, ord),
    );
  }
  return models;
}

function decide(
  model: ModelNode,
  s: StructuralIntent,
  strong: IntentSignal[],
  weak: IntentSignal[],
  objectives: IntentSignal[],
  ordinary: IntentSignal[],
): ModelIntent {
  if (s.invertible.length > 0) return { kind: 'invertible', signals: s.invertible };
  if (s.residual) {
    const names = namesOf(model).flatMap((n) => {
      const how = invertibleName(n);
      return how ? [{ name: n, strong: how.strong }] : [];
    });
    const named = (which: boolean): IntentSignal[] =>
      names
        .filter((x) => x.strong === which)
        .map((x) => ({ message: `named '${x.name}'`, range: model.range }));
    const skips = { message: 'x + g(x) blocks', range: s.residual.anchor ?? s.residual.range };
    const sure = [...named(true), ...strong];
    // A weak sign (a log-det, "flow" in the name) is overruled by an ordinary objective on the model.
    const likely = ordinary.length === 0 ? [...named(false), ...weak] : [];
    if (sure.length > 0 || likely.length > 0)
      return { kind: 'invertible', signals: [skips, ...sure, ...likely] };
  }
  const lipschitz = [...s.lipschitz, ...objectives];
  if (lipschitz.length > 0) return { kind: 'lipschitz', signals: lipschitz };
  return { kind: 'ordinary', signals: ordinary };
}
