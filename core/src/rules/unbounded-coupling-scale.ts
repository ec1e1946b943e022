import { configString } from '../bounds/config';
import type { BlockNode, CustomLayerInfo, LayerNode, ScaleForm, SourceRange } from '../ir/model-ir';
import { customClassOf, forEachLayer, forEachNode } from './placement';
import { defineRule, docsUrl, type FixData } from './rule';
import { type SourceText, stringPropertyRange } from './source-text';

const id = 'unbounded-coupling-scale';

type MessageId = 'expScale' | 'scaleReachesZero' | 'learnedScale';

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
      url: docsUrl(id),
    },
    messages: {
      expScale:
        'Coupling scale s = exp(h) is unbounded: the inverse gain 1/s = exp(-h) can explode. Bound h: s = exp(c * tanh(h / c)).',
      scaleReachesZero:
        'Coupling scale s = {{form}}(h) can reach 0, so 1/s is unbounded. Floor it: s = sigmoid(h + 2) + eps, eps > 0.',
      learnedScale:
        'Scale exp(w) of learned weights w: inverse gain exp(-min w) is finite but training can drive it to infinity. Bound w: c * tanh(w / c).',
    },
    defaultSeverity: 'warning',
  },
  check(context) {
    const { source, fileIr } = context;
    const report = (
      form: ScaleForm | string,
      range: SourceRange,
      anchored: boolean,
      block?: BlockNode,
    ): void => {
      const related = block ? { related: [{ message: 'the coupling block', range: block.range }] } : {};
      if (form === 'learned-param') {
        context.report({ range, messageId: 'learnedScale', severity: 'hint', ...related });
        return;
      }
      if (!UNBOUNDED.has(form)) return;
      const fix = anchored ? opFix(source, range, form) : undefined;
      context.report({
        range,
        ...(form === 'exp' ? { messageId: 'expScale' } : { messageId: 'scaleReachesZero', data: { form } }),
        ...(fix ? { fix } : {}),
        ...related,
      });
    };
    const reportClass = (info: CustomLayerInfo): void => {
      if (info.scale && info.scaleAnchor) report(info.scale, info.scaleAnchor, true);
    };
    forEachNode(fileIr, (node) => {
      if (node.kind === 'block' && node.wiring === 'affine-coupling' && node.scale) {
        report(
          node.scale,
          node.anchor ?? node.range,
          node.anchor !== undefined,
          node.anchor ? node : undefined,
        );
      }
      if (node.kind === 'layer' && node.layerType === 'AffineCoupling' && node.origin !== 'custom') {
        const scale = configString(node.config, 'scale');
        if (scale !== undefined && UNBOUNDED.has(scale)) {
          const fix = layerFix(source, node);
          context.report({
            range: node.range,
            ...(scale === 'exp'
              ? { messageId: 'expScale' }
              : { messageId: 'scaleReachesZero', data: { form: scale } }),
            ...(fix ? { fix } : {}),
          });
        }
      }
    });
    // Hand-written coupling classes: reported at their scale op even when no model in this file uses them.
    for (const info of fileIr.customLayers) if (info.wiring === 'affine-coupling') reportClass(info);
    // A class that only scales by exp(learned weight) (NICE's final scaling layer) and does not say it is
    // invertible: reported where a model that must be invertible uses it.
    forEachLayer(fileIr, (layer, placement) => {
      const info = customClassOf(layer, fileIr);
      if (info && !info.wiring && info.scale === 'learned-param' && placement.invertible) reportClass(info);
    });
  },
});
