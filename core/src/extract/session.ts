/** State of one extraction: ids, notes, the work budget, and what was created along the way. */
import type { ts } from 'ts-morph';
import type { CustomLayerInfo, ExtractionNote, IrNode, LayerNode, SourceRange } from '../ir/model-ir';
import type { TransformKind, TransformUse } from './transforms';
import type { Env, ModelBuild, Val } from './values';

/** Thrown when the work budget runs out; caught per statement so a huge file still returns something. */
export class BudgetExceeded extends Error {}

/**
 * Whether the extraction running now is no longer wanted (a newer text of the file is waiting). The language
 * server's analysis thread sets it; an extraction that sees it stops as if out of budget, so its (discarded)
 * result comes back in milliseconds instead of seconds.
 */
let cancelled: () => boolean = () => false;
export function setCancellationCheck(check: () => boolean): void {
  cancelled = check;
}
/** Steps between two looks at `cancelled`. */
const CANCEL_CHECK_STEPS = 1024;

/** Evaluation steps per extraction: a few hundred thousand is well past any real model file. */
const MAX_STEPS = 400_000;
/** Nested function inlining depth; beyond it calls become unknown. */
export const MAX_DEPTH = 12;
/** Iterations unrolled per loop. */
export const MAX_UNROLL = 256;
/**
 * Expressions and statements open at once (nested calls, arrays, blocks, inlined helpers together). Each level
 * costs the interpreter a few stack frames: past this, generated or hostile code would overflow the stack, so the
 * rest of that construct is not followed (a note says where). Real model code stays far below it.
 */
export const MAX_NESTING = 400;

export class Session {
  private counters = new Map<string, number>();
  private steps = 0;
  depth = 0;
  /** Expressions and statements being evaluated, innermost last (see MAX_NESTING). */
  nesting = 0;
  /** The file being extracted: layers created in other files remember the call here that led to them. */
  mainFile = '';
  /** Calls from the main file into functions of other files, outermost first (see `LayerNode.via`). */
  readonly callSites: SourceRange[] = [];
  readonly notes: ExtractionNote[] = [];
  private noteKeys = new Set<string>();
  /** Every layer created, for `looseLayers`. */
  readonly layers: LayerNode[] = [];
  /** Every model created, in creation order. */
  readonly models: ModelBuild[] = [];
  /** Custom layer classes analysed, by declaration. */
  readonly classes = new Map<ts.Node, CustomLayerInfo>();
  /** Functions, methods and constructors run at least once, by declaration. */
  readonly executed = new Set<ts.Node>();
  /** The scope each function or class expression was last created in, so an unreached one runs in it. */
  readonly closures = new Map<ts.Node, Env>();
  /** The first instance of each plain (non-layer) class, with the scope its methods run in. */
  readonly instances = new Map<ts.Node, { inst: Val; env: Env }>();
  /** How many layer-class analyses are running (one inside another when a class's constructor makes another's). */
  classDepth = 0;
  /** The `classDepth` each layer was created at, so a class collects its own layers, not those of classes inside. */
  readonly layerDepth = new WeakMap<LayerNode, number>();
  /** Layer classes whose output method was traced to a body of blocks (custom-layers.ts), by declaration. */
  readonly classBodies = new Map<ts.Node, IrNode[]>();
  /** Models a layer class's constructor builds (its sub-networks), by creating node: parts of the class. */
  readonly ownedModels = new Set<ts.Node>();
  /** Models assigned to a field of a class instance (`this.policyNet = tf.sequential()`): `Class.field`. */
  readonly fieldNames = new Map<ModelBuild, { name: string; node: ts.Node }>();
  /** Transforms written without classes (transforms.ts), by object literal or pair forward function. */
  readonly transformKinds = new Map<ts.Node, TransformKind>();
  /** Each transform object's instance. */
  readonly transformUses = new WeakMap<Val, TransformUse>();
  /** Lists holding transform objects, with where each was made or filled: candidate flows. */
  readonly transformLists = new Map<Val, ts.Node>();
  /** Module-level functions checked for being a pair's forward function (null: not one). */
  readonly pairs = new Map<ts.Node, TransformKind | null>();
  /** Synthetic class names given to transform kinds, so two kinds never share one. */
  readonly transformNames = new Map<string, ts.Node>();

  id(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }

  step(): void {
    if (++this.steps > MAX_STEPS) throw new BudgetExceeded('extraction budget exceeded');
    if (this.steps % CANCEL_CHECK_STEPS === 0 && cancelled())
      throw new BudgetExceeded('extraction cancelled');
  }

  /** Starts a new step budget (for reading back what was built, which is linear in what was built). */
  freshBudget(): void {
    this.steps = 0;
  }

  note(message: string, range: SourceRange): void {
    const key = `${message}@${range.file}:${range.start.line}:${range.start.character}`;
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push({ message, range });
  }
}
