import { activationConstants } from '../bounds/activations';
import { formatNumber } from '../bounds/bound';
import { configString } from '../bounds/config';
import type { BlockNode, CustomLayerInfo, FileIr, IrNode, OpNode, SourceRange } from '../ir/model-ir';
import { customClassOf, forEachLayer, forEachNode, layerLabel, type Placement } from './placement';
import { defineRule } from './rule';
import type { SourceText } from './source-text';

const id = 'non-lipschitz-activation';

type MessageId = 'notLipschitz' | 'singularAtZero' | 'largeConstant';

/** Ops whose slope is unbounded only near one point of their domain. */
const SINGULAR_AT_ZERO = new Set(['log', 'sqrt', 'rsqrt', 'reciprocal']);

function where(p: Placement): string {
  const model = `'${p.model?.name ?? ''}'`;
  if (p.residual) return `a residual branch of ${p.intent} model ${model}`;
  if (p.invertible) return `invertible model ${model}`;
  return `model ${model}, which must be Lipschitz-bounded`;
}

/** `tf.pow(x, 3)` / `x.pow(3)`: the exponent when it is a literal. */
function powExponent(source: SourceText, range: SourceRange): number | undefined {
  const m = /,\s*([0-9.eE+-]+)\s*\)\s*$|\.pow\(\s*([0-9.eE+-]+)\s*\)\s*$/.exec(source.slice(range));
  const value = Number(m?.[1] ?? m?.[2]);
  return m && Number.isFinite(value) ? value : undefined;
}

/** The activation a node applies: an op, an activation layer, or a layer's fused `activation`. */
function activationOf(node: IrNode): string | undefined {
  if (node.kind === 'op') return node.op;
  if (node.kind === 'layer') return configString(node.config, 'activation');
  return undefined;
}

function isSame(a: SourceRange, b: SourceRange): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character;
}

/**
 * Coupling scale ops, and every op forming a scale of the data in an invertible transform, are reported by
 * unbounded-coupling-scale and unbounded-inverse-gain, with the right fix.
 */
function scaleAnchors(fileIr: FileIr): SourceRange[] {
  const anchors: SourceRange[] = [];
  forEachNode(fileIr, (n) => {
    if (n.kind === 'block' && n.anchor && n.wiring === 'affine-coupling') anchors.push(n.anchor);
  });
  for (const info of fileIr.customLayers) {
    if (info.scaleAnchor) anchors.push(info.scaleAnchor);
    for (const site of info.scaleOps ?? []) anchors.push(site.range);
  }
  return anchors;
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'Activations without a global Lipschitz constant (or with one above 1) where a bound is required.',
    },
    messages: {
      notLipschitz:
        '{{what}} is not globally Lipschitz. Its slope grows without bound, and it is in {{where}}: no finite bound exists for any weights.',
      singularAtZero:
        '{{what}} has a slope with no bound near 0. It is in {{where}}, and is Lipschitz only where its input stays away from 0 (clip or offset it).',
      largeConstant:
        '{{what}} has Lipschitz constant {{constant}} > 1. It is in {{where}}, and multiplies the bound of every layer it follows. Prefer an activation with constant <= 1 (relu, tanh, elu, lipswish).',
    },
    defaultSeverity: 'error',
  },
  check(context) {
    const { fileIr } = context;
    const anchors = scaleAnchors(fileIr);
    const judge = (node: IrNode | OpNode, name: string, placement: Placement): void => {
      if (anchors.some((a) => isSame(a, node.range))) return;
      const what = node.kind === 'layer' ? `${layerLabel(node)} with activation '${name}'` : `tf.${name}`;
      const data = { what, where: where(placement) };
      const withModel = placement.model ? { model: placement.model } : {};
      if (name === 'pow') {
        const p = powExponent(context.sourceFor(node.range), node.range);
        if (p !== undefined && p > 1)
          context.report({ node, messageId: 'notLipschitz', data, severity: 'error', ...withModel });
        return;
      }
      const k = activationConstants(name);
      // log and roots blow up at one point only: whether that point is reached depends on the data (logit
      // preprocessing keeps x in [alpha, 1 - alpha]), not on training, so this is worth knowing, not an error.
      if (k?.forward === 'unbounded' && SINGULAR_AT_ZERO.has(name))
        context.report({ node, messageId: 'singularAtZero', data, severity: 'info', ...withModel });
      else if (k?.forward === 'unbounded')
        context.report({ node, messageId: 'notLipschitz', data, severity: 'error', ...withModel });
      else if (typeof k?.forward === 'number' && k.forward > 1.0001) {
        const constant = formatNumber(k.forward);
        context.report({
          node,
          messageId: 'largeConstant',
          data: { ...data, constant },
          severity: 'warning',
          ...withModel,
        });
      }
    };
    forEachNode(fileIr, (node, placement) => {
      if (!placement.needsBound) return;
      const name = activationOf(node);
      if (name !== undefined) judge(node, name, placement);
    });
    // Ops inside custom layers' call(): judged where the class is used, the ops of a residual class as its
    // branch. A coupling class's own ops form its conditioner and scale (unbounded-coupling-scale's concern).
    const seen = new Set<string>();
    forEachLayer(fileIr, (layer, placement) => {
      const info = customClassOf(layer, fileIr);
      if (!info || !placement.needsBound || seen.has(info.className)) return;
      if (info.wiring === 'affine-coupling' || info.wiring === 'additive-coupling') return;
      seen.add(info.className);
      const inner: Placement = info.addsInput
        ? { ...placement, residual: residualOf(info), mainPath: false }
        : placement;
      for (const op of info.ops) judge(op, op.op, inner);
    });
  },
});

function residualOf(info: CustomLayerInfo): BlockNode {
  return { kind: 'block', id: `${info.className}#call`, wiring: 'residual', children: [], range: info.range };
}
