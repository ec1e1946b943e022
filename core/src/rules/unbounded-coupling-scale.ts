import { configString } from '../bounds/config';
import type { BlockNode, LayerNode, SourceRange } from '../ir/model-ir';
import { forEachNode } from './placement';
import { defineRule, docsUrl, type FixData } from './rule';
import { type SourceText, stringPropertyRange } from './source-text';

const id = 'unbounded-coupling-scale';

type MessageId = 'expScale' | 'scaleReachesZero';

const UNBOUNDED = new Set(['exp', 'sigmoid', 'softplus']);

/** `tf.exp(h)` -> `tf.exp(tf.mul(Math.log(2), tf.tanh(h)))`; `h.exp()` -> `h.tanh().mul(Math.log(2)).exp()`. */
function boundedScaleText(text: string, form: string): string | undefined {
  const fn = new RegExp(`^([\\w$.]*?)${form}\\s*\\(([\\s\\S]*)\\)$`).exec(text.trim());
  const ns = fn?.[1] ?? '';
  const arg = fn?.[2];
  if (fn && arg !== undefined && !arg.includes(',')) {
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
      url: docsUrl(id),
    },
    messages: {
      expScale:
        'Affine coupling scale s = exp(h) is unbounded: s is in (0, inf), so the inverse gain 1/s = exp(-h) has no bound and inverses can explode. Bound it, e.g. s = exp(log(M) * tanh(h)) in [1/M, M].',
      scaleReachesZero:
        'Affine coupling scale s = {{form}}(h) can approach 0: the inverse gain 1/s is unbounded. Floor it, e.g. s = sigmoid(h + 2) + eps (inverse gain at most 1/eps).',
    },
    defaultSeverity: 'warning',
  },
  check(context) {
    const { source } = context;
    const report = (
      form: string,
      range: SourceRange,
      fix: FixData | undefined,
      related?: BlockNode,
    ): void => {
      context.report({
        range,
        ...(form === 'exp' ? { messageId: 'expScale' } : { messageId: 'scaleReachesZero', data: { form } }),
        ...(fix ? { fix } : {}),
        ...(related ? { related: [{ message: 'the coupling block', range: related.range }] } : {}),
      });
    };
    forEachNode(context.fileIr, (node) => {
      if (
        node.kind === 'block' &&
        node.wiring === 'affine-coupling' &&
        node.scale &&
        UNBOUNDED.has(node.scale)
      ) {
        const at = node.anchor ?? node.range;
        report(
          node.scale,
          at,
          node.anchor ? opFix(source, node.anchor, node.scale) : undefined,
          node.anchor ? node : undefined,
        );
      }
      if (node.kind === 'layer' && node.layerType === 'AffineCoupling' && node.origin !== 'custom') {
        const scale = configString(node.config, 'scale');
        if (scale !== undefined && UNBOUNDED.has(scale)) report(scale, node.range, layerFix(source, node));
      }
    });
    // Hand-written coupling classes: reported at their scale op even when no model in this file uses them.
    for (const info of context.fileIr.customLayers) {
      if (info.wiring === 'affine-coupling' && info.scale && UNBOUNDED.has(info.scale) && info.scaleAnchor) {
        report(info.scale, info.scaleAnchor, opFix(source, info.scaleAnchor, info.scale));
      }
    }
  },
});
