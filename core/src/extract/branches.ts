/**
 * Code whose path is not known statically: `if`/`switch` on an unknown condition, `c ? a : b`, `try`/`catch`.
 * Every path is read, each from the same starting state; what the paths assign is merged afterwards, and a value
 * that differs between paths becomes the set of its alternatives: several layers become one `choice` block holding
 * each possible layer (every alternative is linted, the bound is unknown), other values become unknown.
 */
import type { ts } from 'ts-morph';
import type { BlockNode, IrNode, SourceRange } from '../ir/model-ir';
import { tensorApply } from './functional';
import type { ModuleCtx } from './module';
import type { Session } from './session';
import { unknown, type Val } from './values';

/** How a statement ended: a `return` (with its value), `break`, `continue` or `throw`. */
export type Completion =
  { kind: 'return'; value: Val } | { kind: 'break' } | { kind: 'continue' } | { kind: 'throw' };

/** One write to a scope's variables or an object's properties, with what it replaced (for undoing a path). */
interface Write {
  map: Map<string, Val>;
  key: string;
  had: boolean;
  prev: Val | undefined;
}

/** One path's outcome: how it ended, and the value after it of every slot it wrote. */
interface PathResult {
  completion: Completion | undefined;
  after: Map<Map<string, Val>, Map<string, Val | undefined>>;
}

/** Records writes while a path runs, so the path can be undone and its writes merged with the others'. */
export class WriteLog {
  private writes: Write[] | undefined;

  write(map: Map<string, Val>, key: string, v: Val): void {
    this.writes?.push({ map, key, had: map.has(key), prev: map.get(key) });
    map.set(key, v);
  }

  /**
   * Runs each path from the same state and leaves the state as the merge of the paths that fall through
   * (`undefined` completion, `break` or `continue`); `null` is the empty path (a missing `else`).
   */
  runPaths(
    paths: ((() => Completion | undefined) | null)[],
    merge: (alternatives: Val[], name: string) => Val,
  ): PathResult[] {
    const outer = this.writes;
    const results: PathResult[] = [];
    const before = new Map<Map<string, Val>, Map<string, { had: boolean; prev: Val | undefined }>>();
    try {
      for (const path of paths) {
        this.writes = [];
        let completion: Completion | undefined;
        try {
          completion = path ? path() : undefined;
        } finally {
          const writes = this.writes;
          const after = new Map<Map<string, Val>, Map<string, Val | undefined>>();
          for (const w of writes) {
            let slots = before.get(w.map);
            if (!slots) before.set(w.map, (slots = new Map()));
            if (!slots.has(w.key)) slots.set(w.key, { had: w.had, prev: w.prev });
            let a = after.get(w.map);
            if (!a) after.set(w.map, (a = new Map()));
            a.set(w.key, w.map.get(w.key));
          }
          for (let i = writes.length - 1; i >= 0; i--) {
            const w = writes[i]!;
            if (w.had) w.map.set(w.key, w.prev!);
            else w.map.delete(w.key);
          }
          results.push({ completion: completion ?? undefined, after });
        }
      }
    } finally {
      this.writes = outer;
    }
    const live = results.filter(
      (r) => !r.completion || r.completion.kind === 'break' || r.completion.kind === 'continue',
    );
    if (live.length === 0) return results;
    for (const [map, slots] of before) {
      for (const [key, { had, prev }] of slots) {
        const vals: Val[] = [];
        for (const r of live) {
          const a = r.after.get(map);
          const v = a?.has(key) ? a.get(key) : had ? prev : undefined;
          if (v) vals.push(v);
        }
        if (vals.length > 0) this.write(map, key, merge(vals, key));
      }
    }
    return results;
  }
}

/** `let x;`, `undefined`: a value no path would use as a layer. */
function isUndefinedish(v: Val): boolean {
  return v.t === 'unknown' && (v.text === 'undefined' || v.reason === 'no initial value');
}

/**
 * What makes two values the same for merging: the same constant, namespace, module or class, or the same layer
 * call read on two paths (a `case` falling through into the next) with the same config. Undefined: only the
 * value itself.
 */
function identity(v: Val): unknown {
  switch (v.t) {
    case 'data':
      return `d:${typeof v.v}:${String(v.v)}`;
    case 'ns':
      // `tf = require('@tensorflow/tfjs-node-gpu')` on one path and `require('@tensorflow/tfjs-node')` on another.
      return `ns:${v.origin}:${v.path}`;
    case 'module':
      return v.mod;
    case 'class':
      return v.decl;
    case 'layer': {
      const n = v.node;
      if (n.kind !== 'layer') return v;
      const r = n.range;
      return `l:${r.file}:${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}:${JSON.stringify(n.config)}`;
    }
  }
  return v;
}

/** One of `children`, chosen on a path not known statically. */
function choiceBlock(session: Session, children: IrNode[], range: SourceRange): BlockNode {
  return { kind: 'block', id: session.id('b'), wiring: 'choice', children, range, anchor: range };
}

/** An empty block: the merge point of tensor alternatives (identity; the graph block around it is unknown). */
function choicePoint(session: Session, mod: ModuleCtx, site: ts.Node): BlockNode {
  return { kind: 'block', id: session.id('b'), wiring: 'sequence', children: [], range: mod.range(site) };
}

/**
 * The value of something that is one of `vals`, depending on a path not known statically; `name` (the variable)
 * names it in messages when it stays unknown.
 */
export function alternatives(
  session: Session,
  vals: Val[],
  site: ts.Node,
  mod: ModuleCtx,
  name?: string,
  depth = 0,
): Val {
  const seen = new Set<unknown>();
  const distinct: Val[] = [];
  for (const v of vals) {
    const id = identity(v);
    if (seen.has(id)) continue;
    seen.add(id);
    distinct.push(v);
  }
  if (distinct.length === 1) return distinct[0]!;
  const defined = distinct.filter((v) => !isUndefinedish(v));
  if (defined.length > 0 && defined.every((v) => v.t === 'layer')) {
    if (defined.length === 1) return defined[0]!;
    const children: IrNode[] = defined.map((v) => (v as Extract<Val, { t: 'layer' }>).node);
    return { t: 'layer', node: choiceBlock(session, children, mod.range(site)) };
  }
  // Transform objects (transforms.ts) chosen on a path: one object standing for a choice of their instances.
  const uses = defined.map((v) => session.transformUses.get(v));
  if (defined.length > 1 && uses.every((u) => u !== undefined)) {
    const node = choiceBlock(
      session,
      uses.map((u) => u!.node),
      mod.range(site),
    );
    const chosen: Val = { t: 'object', props: new Map() };
    session.transformUses.set(chosen, { node, output: uses[0]!.output, dataIndex: uses[0]!.dataIndex });
    return chosen;
  }
  // Plain objects (`...(inputShape ? { inputShape } : {})`): one object, each key the alternatives of its values
  // (a key missing on some path is undefined there), so a config stays readable where the paths agree.
  const objects = distinct.flatMap((v) => (v.t === 'object' && !v.cls ? [v] : []));
  if (objects.length === distinct.length && depth < 4) {
    const keys = new Set(objects.flatMap((o) => [...o.props.keys()]));
    const props = new Map<string, Val>();
    for (const key of keys) {
      const vals = objects.map((o) => o.props.get(key) ?? unknown('undefined', 'undefined'));
      props.set(key, alternatives(session, vals, site, mod, key, depth + 1));
    }
    const partial = objects.find((o) => o.partial !== undefined)?.partial;
    return partial === undefined ? { t: 'object', props } : { t: 'object', props, partial };
  }
  // Lists of layers (`return [new ActNorm({})]` in one case, `return []` in another): a list holding one choice
  // block with a sequence per alternative, so spreading it into a model keeps every alternative.
  const lists = defined.flatMap((v) => (v.t === 'array' ? [v.items] : []));
  if (
    lists.length === defined.length &&
    lists.some((items) => items.length > 0) &&
    lists.every((items) => items.every((i) => i.t === 'layer'))
  ) {
    const range = mod.range(site);
    const children: IrNode[] = lists.map((items) => ({
      kind: 'block',
      id: session.id('b'),
      wiring: 'sequence',
      children: items.map((i) => (i as Extract<Val, { t: 'layer' }>).node),
      range,
    }));
    return { t: 'array', items: [{ t: 'layer', node: choiceBlock(session, children, range) }] };
  }
  if (distinct.every((v) => v.t === 'tensor'))
    return {
      t: 'tensor',
      tn: tensorApply(
        choicePoint(session, mod, site),
        distinct.map((v) => (v as Extract<Val, { t: 'tensor' }>).tn),
      ),
    };
  return unknown(
    name ?? mod.text(site),
    'one of several values, depending on a condition not known statically',
  );
}
