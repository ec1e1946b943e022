import { configString } from '../bounds/config';
import type { BlockNode, LayerNode, ModelNode, SourceRange } from '../ir/model-ir';
import { forEachNode } from './placement';
import { defineRule, type FixData } from './rule';
import { type SourceText, stringPropertyRange } from './source-text';

const id = 'unbounded-coupling-scale';

type MessageId = 'expScale' | 'scaleReachesZero';

/** This project's layers with an affine coupling's `scale` option (MaskedAutoregressive: the same forms). */
const SCALE_OPTION_LAYERS = new Set(['AffineCoupling', 'MaskedAutoregressive']);

/** Scales whose inverse gain has no bound for any weights. */
const UNBOUNDED = new Set<string>(['exp', 'sigmoid', 'softplus']);

/** `tf.exp(h)` -> `tf.exp(tf.mul(Math.log(2), tf.tanh(h)))`; `h.exp()` -> `h.tanh().mul(Math.log(2)).exp()`. */
function boundedScaleText(text: string, form: string): string | undefined {
  const fn = new RegExp(`^([\\w$.]*?)${form}\\s*\\(([\\s\\S]*)\\)$`).exec(text.trim());
  const ns = fn?.[1] ?? '';
  const arg = fn?.[2];
  if (fn && arg !== undefined && arg.trim() !== '' && !arg.includes(',')) {
    if (form === 'exp') return `${ns}exp(${ns}mul(Math.log(2), ${ns}tanh(${arg})))`;
    return `${ns}add(${ns}sigmoid(${ns}add(${arg}, 2)), 0.05)`;
  }
  const method = new RegExp(`^([\\s\\S]+)\\.${form}\\(\\)$`).exec(text.trim());
  if (method) {
    const recv = method[1]!;
    if (form === 'exp') return `${recv}.tanh().mul(Math.log(2)).exp()`;
    return `${recv}.add(2).sigmoid().add(0.05)`;
  }
  return undefined;
}

function opFix(source: SourceText, range: SourceRange, form: string): FixData | undefined {
  const replacement = boundedScaleText(source.slice(range), form);
  if (replacement === undefined) return undefined;
  const title =
    form === 'exp'
      ? 'Bound the scale: exp(log(2) * tanh(h)), s in [1/2, 2]'
      : 'Floor the scale: sigmoid(h + 2) + 0.05, inverse gain <= 20';
  return { title, edits: [{ range, newText: replacement }] };
}

function layerFix(source: SourceText, layer: LayerNode): FixData | undefined {
  const value = stringPropertyRange(source, layer.range, 'scale');
  if (value === undefined) return undefined;
  return { title: "Use scale: 'bounded-tanh'", edits: [{ range: value, newText: "'bounded-tanh'" }] };
}

export const rule = defineRule<MessageId>({
  id,
  meta: {
    docs: {
      description:
        'Affine coupling scales must be bounded away from 0 and infinity, or the inverse can explode.',
    },
    messages: {
      expScale:
        'Affine coupling scale s = exp(h) has no bound, so the inverse can explode. The inverse gain 1/s = exp(-h) grows without bound; bound h: s = exp(c · tanh(h / c)).',
      scaleReachesZero:
        'Affine coupling scale s = {{form}}(h) can reach 0, so the inverse can explode. The inverse gain 1/s grows without bound; floor it: s = sigmoid(h + 2) + eps, eps > 0.',
    },
    defaultSeverity: 'warning',
  },
  check(context) {
    const { fileIr } = context;
    /**
     * A scale op of a hand-written coupling (`tf.exp(h)`), reported with a fix that bounds it; its text (and the
     * fix) come from the file the op is written in, which the class may not share with its use.
     */
    const reportOp = (form: string, range: SourceRange, block?: BlockNode, model?: ModelNode): void => {
      if (!UNBOUNDED.has(form)) return;
      const fix = opFix(context.sourceFor(range), range, form);
      const via = block?.instance?.range ?? block?.range;
      context.report({
        range,
        ...(via ? { via } : {}),
        ...(model ? { model } : {}),
        ...(form === 'exp' ? { messageId: 'expScale' } : { messageId: 'scaleReachesZero', data: { form } }),
        ...(fix ? { fix } : {}),
        ...(block ? { related: [{ message: 'the coupling block', range: block.range }] } : {}),
      });
    };
    forEachNode(fileIr, (node, placement) => {
      if (node.kind === 'block' && node.wiring === 'affine-coupling' && node.scale && node.anchor)
        reportOp(node.scale, node.anchor, node, placement.model);
      if (node.kind === 'layer' && SCALE_OPTION_LAYERS.has(node.layerType) && node.origin !== 'custom') {
        const scale = configString(node.config, 'scale');
        if (scale !== undefined && UNBOUNDED.has(scale)) {
          const fix = layerFix(context.sourceFor(node.range), node);
          context.report({
            node,
            ...(placement.model ? { model: placement.model } : {}),
            ...(scale === 'exp'
              ? { messageId: 'expScale' }
              : { messageId: 'scaleReachesZero', data: { form: scale } }),
            ...(fix ? { fix } : {}),
          });
        }
      }
    });
    // Hand-written coupling classes: reported at their scale op even when no model in this file uses them; and in
    // any invertible transform, every op that forms a scale of the data (one per alternative of a scale chosen at
    // run time). A scale of learned weights alone, ActNorm-style, is unbounded-inverse-gain's.
    for (const info of fileIr.customLayers) {
      if (info.wiring === 'affine-coupling' && info.scale && info.scaleAnchor)
        reportOp(info.scale, info.scaleAnchor);
      for (const site of info.scaleOps ?? []) reportOp(site.form, site.range);
    }
  },
});
