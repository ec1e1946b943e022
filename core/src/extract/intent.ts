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

const INVERTIBLE_WORDS = new Set([
  'flow',
  'flows',
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
  'coupling',
  'maf',
  'iaf',
  'normalizing',
  'normalising',
]);
/** Acronyms that are English words in lower case: only counted as written in capitals, as a word of their own. */
const INVERTIBLE_ACRONYMS = /(?<![A-Z])(NICE|INN|MADE)(?:(?![A-Za-z])|(?=[A-Z][a-z]))/;
/** Names that camel-case splitting cuts apart (`iResNet` -> i, res, net). */
const INVERTIBLE_JOINED = /iresnet|irevnet|revnet|realnvp/;

/** Why a name suggests an invertible model, or undefined. */
export function invertibleName(name: string): string | undefined {
  if (INVERTIBLE_ACRONYMS.test(name)) return name;
  if (INVERTIBLE_JOINED.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''))) return name;
  return words(name).some((x) => INVERTIBLE_WORDS.has(x)) ? name : undefined;
}

function isLogDetName(name: string): boolean {
  const w = words(name);
  const joined = w.join('');
  if (/logdet|logabsdet|ldj|sldj|logjac/.test(joined)) return true;
  return w.includes('log') && w.some((x) => x === 'det' || x === 'determinant' || x === 'jacobian');
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

/** Evidence found anywhere in a file: log-det terms, fixed-point inverses, critic objectives. */
export interface FileSignals {
  /**
   * `strong`: a fixed-point inverse, which only an i-ResNet needs. `weak`: log-det terms, inverse functions and
   * file names, which a flow with residual conditioners has too.
   */
  invertible: (IntentSignal & { strong: boolean })[];
  /** Critic objectives, with the identifiers used in the function they sit in (to find their model). */
  lipschitz: (IntentSignal & { mentions: Set<string> })[];
  /** Ordinary training objectives (cross-entropy, MSE), with the same. */
  ordinary: (IntentSignal & { mentions: Set<string> })[];
}

const CROSS_ENTROPY =
  /^(binaryCrossentropy|sigmoidCrossEntropy|categoricalCrossentropy|sparseCategoricalCrossentropy|softmaxCrossEntropy|meanSquaredError|meanAbsoluteError|logLoss)$/;

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

/** Identifiers and `this.x` names used in a function (or the whole file): which models it concerns. */
function mentionsOf(scope: ts.Node, cache: Map<ts.Node, Set<string>>): Set<string> {
  const hit = cache.get(scope);
  if (hit) return hit;
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(scope);
  cache.set(scope, out);
  return out;
}

function containsCall(scope: ts.Node, test: (name: string) => boolean): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (name !== undefined && test(name)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}

function containsIdentifier(scope: ts.Node, test: (name: string) => boolean): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && test(n.text)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}

/** `x = y - g(x)` / `x = y.sub(g.apply(x))` / `x = tf.sub(y, f(x))`: the fixed-point inverse of x + g(x). */
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
  return subtrahend !== undefined && containsIdentifier(subtrahend, (x) => x === v);
}

function inLoop(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p && !ts.isFunctionLike(p); p = p.parent)
    if (ts.isIterationStatement(p, false)) return true;
  return false;
}

type NameSignal = 'logdet' | 'wasserstein' | 'hinge' | 'penalty';

const NAME_SIGNALS: Record<Exclude<NameSignal, 'logdet'>, string> = {
  wasserstein: 'a Wasserstein objective',
  hinge: 'a hinge objective',
  penalty: 'a gradient penalty',
};

/** Cheap test first: most identifiers contain none of these, and splitting every one into words is not free. */
const MAY_SIGNAL = /log|det|ldj|jac|wass|wgan|earth|hinge|penal|gp/i;

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

export function scanFileSignals(mod: ModuleCtx): FileSignals {
  const out: FileSignals = { invertible: [], lipschitz: [], ordinary: [] };
  const byName = new Map<string, NameSignal[]>();
  const mentions = new Map<ts.Node, Set<string>>();
  const seen = new Set<string>();
  const scopeOf = (n: ts.Node): ts.Node => enclosingFunction(n) ?? mod.sf;
  const inv = (message: string, n: ts.Node, strong = false): void => {
    if (seen.has(message)) return;
    seen.add(message);
    out.invertible.push({ message, range: mod.range(n), strong });
  };
  const lip = (message: string, n: ts.Node, list = out.lipschitz): void => {
    const key = `${message}@${n.pos}`;
    if (seen.has(key)) return;
    seen.add(key);
    list.push({ message, range: mod.range(n), mentions: mentionsOf(scopeOf(n), mentions) });
  };
  const fileName =
    mod.file
      .split(/[\\/]/)
      .pop()
      ?.replace(/\.[^.]*$/, '') ?? '';
  if (invertibleName(fileName)) inv(`file name '${fileName}'`, mod.sf);
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const name = n.text;
      let kinds = byName.get(name);
      if (kinds === undefined) {
        kinds = nameSignals(name);
        byName.set(name, kinds);
      }
      for (const kind of kinds) {
        if (kind === 'logdet') inv(`a log-determinant term ('${name}')`, n);
        else lip(`${NAME_SIGNALS[kind]} ('${name}')`, n);
      }
      if (
        (ts.isFunctionDeclaration(n.parent) || ts.isMethodDeclaration(n.parent)) &&
        n.parent.name === n &&
        /^(inverse|invert)/i.test(name)
      )
        inv(`an inverse function ('${name}')`, n);
    } else if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (name === 'clipByValue') {
        const scope = scopeOf(n);
        // Clipping weights (not activations): the same function writes weights back.
        if (containsCall(scope, (x) => x === 'assign' || x === 'setWeights' || x === 'write'))
          lip('weight clipping (clipByValue written back to the weights)', n);
      }
      if (name === 'grad' || name === 'grads' || name === 'valueAndGrad' || name === 'valueAndGrads') {
        const scope = scopeOf(n);
        if (containsCall(scope, (x) => x === 'norm' || x === 'euclideanNorm'))
          lip('a gradient penalty (gradients and their norm)', n);
      }
      if (name === 'hingeLoss') lip('a hinge objective (hingeLoss)', n);
      if (name !== undefined && CROSS_ENTROPY.test(name))
        lip(`an ordinary objective (${name})`, n, out.ordinary);
    } else if (ts.isStringLiteral(n) && CROSS_ENTROPY.test(n.text)) {
      lip(`an ordinary objective ('${n.text}')`, n, out.ordinary);
    } else if (ts.isBinaryExpression(n) && inLoop(n) && isFixedPointStep(n)) {
      inv('a fixed-point inverse (x = y - g(x) in a loop)', n, true);
    }
    ts.forEachChild(n, visit);
  };
  visit(mod.sf);
  return out;
}

const CRITIC_WORDS = new Set(['critic', 'discriminator', 'disc']);

/** Names by which code refers to a model: its own and its export's. */
function namesOf(model: ModelNode): string[] {
  return [model.name, model.exportName ?? ''].filter(Boolean);
}

const isCritic = (m: ModelNode): boolean => namesOf(m).some((n) => words(n).some((w) => CRITIC_WORDS.has(w)));

/**
 * The models an objective found in the file concerns: the critics it mentions, else the file's critics, else the
 * models it mentions, else the file's only model. A training step that mentions the generator and the critic
 * constrains the critic only.
 */
function targets(signal: { mentions: Set<string> }, models: readonly ModelNode[]): Set<ModelNode> {
  const mentioned = models.filter((m) => namesOf(m).some((n) => signal.mentions.has(n)));
  const critics = models.filter(isCritic);
  const pick =
    mentioned.filter(isCritic).length > 0
      ? mentioned.filter(isCritic)
      : critics.length > 0
        ? critics
        : mentioned.length > 0
          ? mentioned
          : models.length === 1
            ? models
            : [];
  return new Set(pick);
}

const structureOf = new WeakMap<ModelNode, StructuralIntent>();

/** Keeps a model's structural evidence until `decideIntents` reads the whole file. */
export function rememberStructure(model: ModelNode, s: StructuralIntent): void {
  structureOf.set(model, s);
}

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
  const fileInvertible = file.invertible
    .filter((sig) => sig.strong || !couplings)
    .map(({ message, range }) => ({ message, range }));
  const lip = file.lipschitz.map((sig) => ({ sig, to: targets(sig, models) }));
  const ord = file.ordinary.map((sig) => ({ sig, to: targets(sig, models) }));
  for (const model of models) {
    const s = structureOf.get(model) ?? { invertible: [], lipschitz: [] };
    const strip = (l: { sig: IntentSignal }[]): IntentSignal[] =>
      l.map(({ sig }) => ({ message: sig.message, range: sig.range }));
    model.intent = decide(
      model,
      s,
      fileInvertible,
      strip(lip.filter((x) => x.to.has(model))),
      strip(ord.filter((x) => x.to.has(model))),
    );
  }
  return models;
}

function decide(
  model: ModelNode,
  s: StructuralIntent,
  fileInvertible: IntentSignal[],
  objectives: IntentSignal[],
  ordinary: IntentSignal[],
): ModelIntent {
  if (s.invertible.length > 0) return { kind: 'invertible', signals: s.invertible };
  if (s.residual) {
    const named = namesOf(model).find((n) => invertibleName(n));
    const hints = [
      ...(named ? [{ message: `named '${named}'`, range: model.range }] : []),
      ...fileInvertible,
    ];
    if (hints.length > 0)
      return {
        kind: 'invertible',
        signals: [{ message: 'x + g(x) blocks', range: s.residual.anchor ?? s.residual.range }, ...hints],
      };
  }
  const lipschitz = [...s.lipschitz, ...objectives];
  if (lipschitz.length > 0) return { kind: 'lipschitz', signals: lipschitz };
  return { kind: 'ordinary', signals: ordinary };
}
