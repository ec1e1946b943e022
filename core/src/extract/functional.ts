/**
 * The functional API as a symbolic tensor graph (`tf.input`, `layer.apply(x)`, `tf.add(x, h)`), and its reading
 * back into blocks: x + branch(x) becomes a `residual` block, other merges a `graph` block.
 */
import type { BlockNode, IrNode, SourceRange } from '../ir/model-ir';
import type { Session } from './session';
import type { Val } from './values';

export type TNode =
  | { t: 'input'; id: number }
  /** An input that could not be traced (a helper's parameter, an unknown value). */
  | { t: 'opaque'; id: number }
  /**
   * `node` applied to `inputs` (more than one input: a merge such as add or concatenate); `declaredAs`: the
   * variable the result is declared as, where the code names it.
   */
  | { t: 'apply'; id: number; node: IrNode; inputs: TNode[]; declaredAs?: string };

let nextId = 1;

export function tensorInput(): TNode {
  return { t: 'input', id: nextId++ };
}

export function tensorOpaque(): TNode {
  return { t: 'opaque', id: nextId++ };
}

export function tensorApply(node: IrNode, inputs: TNode[], declaredAs?: string): TNode {
  return { t: 'apply', id: nextId++, node, inputs, ...(declaredAs !== undefined ? { declaredAs } : {}) };
}

/** The name the code gives a merge: the merging layer's `name` config, else the variable it is declared as. */
function mergeName(out: Extract<TNode, { t: 'apply' }>): string | undefined {
  const configured = out.node.kind === 'layer' ? out.node.config['name'] : undefined;
  return typeof configured === 'string' && configured !== '' ? configured : out.declaredAs;
}

function isAdd(node: IrNode): boolean {
  return (
    (node.kind === 'op' && (node.op === 'add' || node.op === 'addN')) ||
    (node.kind === 'layer' && node.layerType === 'add')
  );
}

/** Ids of `n` and everything it depends on. */
function ancestors(n: TNode, memo: Map<number, Set<number>>): Set<number> {
  const hit = memo.get(n.id);
  if (hit) return hit;
  const out = new Set<number>([n.id]);
  memo.set(n.id, out);
  if (n.t === 'apply') for (const i of n.inputs) for (const a of ancestors(i, memo)) out.add(a);
  return out;
}

/**
 * Whether `target` is `from` or one of its ancestors. Ids grow with creation, so nodes older than the target
 * cannot lead to it: the search stays within what was built after it (one step for a residual chain), where
 * full ancestor sets would cost O(n^2) over a long chain of blocks.
 */
export function reaches(from: TNode, target: number, seen = new Set<number>()): boolean {
  if (from.id === target) return true;
  if (from.id < target || from.t !== 'apply' || seen.has(from.id)) return false;
  seen.add(from.id);
  return from.inputs.some((i) => reaches(i, target, seen));
}

function byId(n: TNode, id: number, seen = new Set<number>()): TNode | undefined {
  if (n.id === id) return n;
  if (n.t !== 'apply' || seen.has(n.id)) return undefined;
  seen.add(n.id);
  for (const i of n.inputs) {
    const f = byId(i, id, seen);
    if (f) return f;
  }
  return undefined;
}

/** Parts of a result that are log-determinant terms, not the output: `{ y, logDet }`. */
const LOG_DET = /log|det|jac|ldj/i;

/**
 * The tensor a function's result carries as its output, if it is computed from the tensor `input`: the result
 * itself, the first item of a list (`[y, logDet]`), or the first part of an object that is not a log-det term
 * (`{ y, logDet }`).
 */
export function outputTensor(v: Val, input: number): TNode | undefined {
  const dep = (x: Val | undefined): TNode | undefined =>
    x?.t === 'tensor' && reaches(x.tn, input) ? x.tn : undefined;
  if (v.t === 'tensor') return dep(v);
  if (v.t === 'array') return dep(v.items[0]);
  if (v.t === 'object' && !v.cls)
    for (const [k, x] of v.props) {
      const tn = LOG_DET.test(k) ? undefined : dep(x);
      if (tn) return tn;
    }
  return undefined;
}

export class GraphReader {
  private memo = new Map<number, Set<number>>();
  constructor(private session: Session) {}

  /** The nodes on the path from `stop` (exclusive) to `out`, with merges folded into blocks. */
  sequence(out: TNode, stop?: number): IrNode[] {
    this.session.step();
    if (out.id === stop || out.t !== 'apply') return [];
    const inputs = out.inputs;
    if (inputs.length === 0) return [out.node];
    if (inputs.length === 1) return [...this.sequence(inputs[0]!, stop), out.node];
    const range = rangeOfNode(out.node);
    const name = mergeName(out);
    if (inputs.length === 2 && isAdd(out.node)) {
      const [a, b] = inputs as [TNode, TNode];
      if (a.id !== b.id) {
        if (reaches(b, a.id)) return [...this.sequence(a, stop), this.residual(b, a.id, range, name)];
        if (reaches(a, b.id)) return [...this.sequence(b, stop), this.residual(a, b.id, range, name)];
      }
    }
    // The nearest common ancestor: ids grow with creation, so the largest shared id is the latest split point.
    let common: number | undefined;
    const sets = inputs.map((i) => ancestors(i, this.memo));
    for (const id of sets[0]!)
      if (sets.every((s) => s.has(id)) && (common === undefined || id > common)) common = id;
    const branches: IrNode[] = inputs.map((i) => this.block('sequence', this.sequence(i, common), range));
    const graph = this.block('graph', [...branches, out.node], range, range);
    if (name !== undefined) graph.name = name;
    const start = common === undefined ? undefined : byId(inputs[0]!, common);
    return [...(start ? this.sequence(start, stop) : []), graph];
  }

  private residual(branchOut: TNode, skip: number, range: SourceRange, name?: string): BlockNode {
    const b = this.block('residual', this.sequence(branchOut, skip), range, range);
    if (name !== undefined) b.name = name;
    return b;
  }

  block(
    wiring: BlockNode['wiring'],
    children: IrNode[],
    range: SourceRange,
    anchor?: SourceRange,
  ): BlockNode {
    const b: BlockNode = { kind: 'block', id: this.session.id('b'), wiring, children, range };
    if (anchor) b.anchor = anchor;
    return b;
  }
}

function rangeOfNode(node: IrNode): SourceRange {
  return node.range;
}
