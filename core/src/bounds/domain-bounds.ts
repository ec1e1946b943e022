/**
 * Bounds on a model's declared input domain (JSDoc `@inputDomain`, core/src/specs/input-domain.ts). Affine
 * couplings have no global bound, but on a bounded domain their Jacobian's x2 * ds/dx1 term is bounded
 * (affineCouplingOnDomain). A coupling knows the domain of its own inputs only while every step before it keeps
 * the coordinates' values (permutations, squeezes, reshapes): after any other step the domain's image depends on
 * the weights (biases shift it), so its domain bound is unknown statically.
 */
import type { IrNode, LayerNode, ModelNode, Wiring } from '../ir/model-ir';
import {
  AFFINE_COUPLING_DEFAULTS,
  type AffineCouplingOptions,
  affineCouplingErrors,
  affineCouplingOnDomain,
} from '../specs/affine-coupling';
import { describeDomain, domainSupNorm, type InputDomain } from '../specs/input-domain';
import { type Bound, formatBound, type NodeBounds, productOf } from './bound';
import { readOptions, unreadableSource } from './config';
import { couplingConditionerLipschitz } from './layer-bounds';

type BoundsMap = Map<string, NodeBounds>;

/** Steps that only move or regroup coordinates, so the largest |x_i| of their output is that of their input. */
const KEEPS_VALUES = new Set(['Permutation', 'Squeeze', 'reshape', 'flatten', 'permute', 'inputLayer']);

/** Blocks whose children data meets one after another: sequences, and a multi-scale flow's levels. */
const IN_ORDER: ReadonlySet<Wiring> = new Set<Wiring>(['sequence', 'multi-scale']);

/** The model's steps in the order data meets them, through nested sequences and multi-scale levels. */
function stepsInOrder(node: IrNode): IrNode[] {
  if (node.kind === 'block' && IN_ORDER.has(node.wiring)) return node.children.flatMap(stepsInOrder);
  return [node];
}

const finite = (x: number): Bound => (Number.isFinite(x) ? x : 'unknown');

/** This project's AffineCoupling on inputs within `domain` (sup norm), from its options. */
function affineOnDomain(
  layer: LayerNode,
  domain: InputDomain,
  rank: 2 | 4 | undefined,
): Omit<NodeBounds, 'notes'> {
  const unknown = (why: string) => ({
    forward: 'unknown' as const,
    inverse: 'unknown' as const,
    source: why,
  });
  const read = readOptions(layer, { ...AFFINE_COUPLING_DEFAULTS });
  if ('unreadable' in read) return unknown(unreadableSource('scale', read.unreadable));
  const [error] = affineCouplingErrors(read.options);
  if (error !== undefined) return unknown(`the layer rejects its options (${error})`);
  const c = couplingConditionerLipschitz(layer, rank);
  if (c.lip === undefined)
    return unknown(`${c.why}; lipschitzBoundsOn(domain) computes it from the built layer's weights`);
  const o = read.options as AffineCouplingOptions;
  const r = domainSupNorm(domain);
  const b = affineCouplingOnDomain(o, r, c.lip, c.lip);
  const why =
    o.scale === 'exp'
      ? "; s = exp(h) has no bounded slope without h's range, which depends on the weights"
      : o.scale === 'sigmoid' && !Number.isFinite(b.inverse)
        ? "; s = sigmoid(h + 2) has no floor without h's range, which depends on the weights"
        : '';
  return {
    forward: finite(b.forward),
    inverse: finite(b.inverse),
    source: `|x2|_inf <= ${formatBound(r)} on the domain, K = |x2|_inf max|ds/dh| Lip(h) + Lip(t); ${c.source}${why}`,
  };
}

/**
 * Adds `onDomain` to the steps whose global bound is not finite and whose domain is known, and to the model when
 * it is a plain sequence of steps (a product of the steps' domain bounds, or global ones where finite).
 */
export function addDomainBounds(model: ModelNode, out: BoundsMap, rank: 2 | 4 | undefined): void {
  const declared = model.inputDomain;
  if (declared === undefined) return;
  const modelBounds = out.get(model.id);
  if ('error' in declared) {
    if (modelBounds) modelBounds.notes = [...modelBounds.notes, declared.error];
    return;
  }
  const domain = declared;
  const text = describeDomain(domain);
  let keptBy: string | undefined;
  const steps = stepsInOrder(model.body);
  for (const step of steps) {
    const b = out.get(step.id);
    if (b === undefined) continue;
    if (b.forward === 'unbounded' || b.inverse === 'unbounded') {
      b.onDomain =
        step.kind === 'layer' && step.layerType === 'AffineCoupling' && keptBy === undefined
          ? { domain: text, ...affineOnDomain(step, domain, rank) }
          : {
              domain: text,
              forward: 'unknown',
              inverse: 'unknown',
              source:
                keptBy !== undefined
                  ? `the domain's image after ${keptBy} depends on the weights`
                  : 'no domain bound for this step',
            };
    }
    if (keptBy === undefined && !(step.kind === 'layer' && KEEPS_VALUES.has(step.layerType)))
      keptBy =
        step.kind === 'layer' ? step.layerType : step.kind === 'op' ? step.op : `a ${step.wiring} block`;
  }
  const plain = model.body.wiring === 'sequence' && steps.length === model.body.children.length;
  if (!plain || modelBounds === undefined) return;
  const per = (dir: 'forward' | 'inverse'): Bound =>
    productOf(
      steps.map((s) => {
        const b = out.get(s.id);
        return b === undefined ? 'unknown' : (b.onDomain ?? b)[dir];
      }),
    );
  const forward = per('forward');
  const inverse = per('inverse');
  if (forward === modelBounds.forward && inverse === modelBounds.inverse) return;
  modelBounds.onDomain = {
    domain: text,
    forward,
    inverse,
    source: 'product over the steps of their bounds on the domain (their global bounds where finite)',
  };
}
