/**
 * Plain classes (not layer classes): an agent, a trainer, a model wrapper. An instance is an object whose fields
 * are set by its constructor and methods (`this.policyNet = tf.sequential()`, `this.dense1 = tf.layers.dense()`),
 * the `this` of each of them. Base classes written in the same code are initialised first; `super(...)` runs
 * the base constructor.
 */
import { ts } from 'ts-morph';
import type { IrNode } from '../ir/model-ir';
import { classNameOf } from './class-name';
import { GraphReader, outputTensor, tensorInput } from './functional';
import type { Interp } from './interpreter';
import { hasModifier } from './module';
import { MAX_DEPTH } from './session';
import { Env, unknown, type Val } from './values';

type ClassVal = Extract<Val, { t: 'class' }>;

function memberName(m: ts.ClassElement): string | undefined {
  return m.name && (ts.isIdentifier(m.name) || ts.isPrivateIdentifier(m.name) || ts.isStringLiteral(m.name))
    ? m.name.text
    : undefined;
}

const isStatic = (m: ts.ClassElement): boolean =>
  ts.canHaveModifiers(m) && hasModifier(m, ts.SyntaxKind.StaticKeyword);

function constructorOf(decl: ts.ClassLikeDeclaration): ts.ConstructorDeclaration | undefined {
  return decl.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body);
}

/** The user class a class extends, when it is one (a tfjs or unknown base gives undefined). */
function baseOf(interp: Interp, cls: ClassVal): ClassVal | undefined {
  const ext = cls.decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (!ext) return undefined;
  const base = interp.eval(ext.expression, cls.closure ?? cls.mod.top);
  return base.t === 'class' && base.decl !== cls.decl ? base : undefined;
}

/** Defines the methods and field initialisers of `cls` (after its bases') on `inst`; returns their scope. */
function defineMembers(interp: Interp, cls: ClassVal, inst: Val & { t: 'object' }, depth: number): Env {
  const env = new Env(cls.mod, cls.closure ?? cls.mod.top);
  env.vars.set('this', inst);
  const base = depth < 5 ? baseOf(interp, cls) : undefined;
  if (base) {
    const baseEnv = defineMembers(interp, base, inst, depth + 1);
    const ctor = constructorOf(base.decl);
    if (ctor) env.vars.set('super', interp.fn(ctor, baseEnv));
  }
  for (const m of cls.decl.members) {
    const name = memberName(m);
    if (name === undefined || isStatic(m)) continue;
    if (ts.isMethodDeclaration(m) && m.body) inst.props.set(name, interp.fn(m, env));
  }
  for (const m of cls.decl.members) {
    const name = memberName(m);
    if (name === undefined || isStatic(m) || !ts.isPropertyDeclaration(m) || !m.initializer) continue;
    const v = interp.eval(m.initializer, env);
    inst.props.set(name, v);
    if (v.t === 'model' && inst.cls && !interp.session.fieldNames.has(v.m))
      interp.session.fieldNames.set(v.m, { name: `${inst.cls}.${name}`, node: m.name });
  }
  return env;
}

/** `new C(args)` for a plain class: runs its constructor on a fresh instance and returns the instance. */
export function instantiate(
  interp: Interp,
  cls: ClassVal,
  args: (Val | undefined)[],
  site: ts.Node,
  env: Env,
): Val {
  const s = interp.session;
  if (s.depth >= MAX_DEPTH) {
    s.note('Constructors nested too deeply: this one was not followed.', env.mod.range(site));
    return unknown(env.mod.text(site), 'constructors nested too deeply');
  }
  const inst: Val & { t: 'object' } = {
    t: 'object',
    props: new Map(),
    cls: classNameOf(cls.decl).name,
  };
  // Field initialisers run code too (`child = new C()` in C itself, as half-typed code can read): they count
  // towards the nesting limit like the constructor.
  s.depth++;
  let classEnv: Env;
  try {
    classEnv = defineMembers(interp, cls, inst, 0);
  } finally {
    s.depth--;
  }
  if (!s.instances.has(cls.decl)) s.instances.set(cls.decl, { inst, env: classEnv });
  const ctor = constructorOf(cls.decl);
  if (ctor) {
    // `constructor(private net: Net)`: parameter properties are fields.
    ctor.parameters.forEach((p, i) => {
      const a = args[i];
      if (a && ts.isIdentifier(p.name) && ts.canHaveModifiers(p) && ts.getModifiers(p)?.length)
        inst.props.set(p.name.text, a);
    });
    interp.callFn(interp.fn(ctor, classEnv), args, site, env);
  } else {
    // No constructor of its own: the base constructor gets the arguments.
    const sup = classEnv.vars.get('super');
    if (sup?.t === 'fn') interp.callFn(sup, args, site, env);
  }
  return inst;
}

/**
 * For a layer class: runs its constructor and `build()` on a fresh instance, with unknown arguments, so the layers
 * and models they create through helpers are created (the caller collects them).
 */
export function runLayerSetup(interp: Interp, cls: ClassVal): Env | undefined {
  if (interp.session.depth >= MAX_DEPTH) return undefined;
  const inst: Val & { t: 'object' } = {
    t: 'object',
    props: new Map(),
    cls: classNameOf(cls.decl).name,
  };
  const env = defineMembers(interp, cls, inst, 0);
  const run = (m: ts.FunctionLikeDeclaration | undefined): void => {
    if (!m?.body) return;
    interp.callFn(
      interp.fn(m, env),
      m.parameters.map(() => undefined),
      m,
      env,
    );
  };
  run(constructorOf(cls.decl));
  run(
    cls.decl.members.find(
      (m): m is ts.MethodDeclaration =>
        ts.isMethodDeclaration(m) && memberName(m) === 'build' && !isStatic(m),
    ),
  );
  return env;
}

/**
 * Runs a layer class's output method (`call`/`forward`) on a symbolic input, with `env` the scope of an instance
 * set up by `runLayerSetup`, and reads the tensor graph back as blocks (residual blocks where it adds a tensor to
 * a function of itself). Undefined unless the output (`y`, or `y` of `{ y, logDet }`) is a tensor computed from
 * that input.
 */
export function traceOutput(
  interp: Interp,
  method: ts.FunctionLikeDeclaration,
  env: Env,
): IrNode[] | undefined {
  const input = tensorInput();
  const args: Val[] = [{ t: 'tensor', tn: input }];
  const out = interp.callFn(
    interp.fn(method, env),
    [...args, ...method.parameters.slice(1).map(() => undefined)],
    method,
    env,
  );
  const tn = outputTensor(out, input.id);
  return tn ? new GraphReader(interp.session).sequence(tn) : undefined;
}

/**
 * Reads every method of a plain class that nothing called yet, on its first instance (one made with unknown
 * constructor arguments if the code never made one), each with unknown arguments. Returns the methods' results.
 */
export function readPlainClass(
  interp: Interp,
  cls: ClassVal,
  onResult: (v: Val, method: ts.FunctionLikeDeclaration) => void,
): void {
  const s = interp.session;
  if (!s.instances.has(cls.decl)) instantiate(interp, cls, [], cls.decl, cls.closure ?? cls.mod.top);
  const known = s.instances.get(cls.decl);
  if (!known) return;
  for (const m of cls.decl.members) {
    const fn =
      ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)
        ? m
        : undefined;
    if (!fn?.body || s.executed.has(fn)) continue;
    // Static methods have the class, not an instance, as `this`.
    const env = isStatic(fn) ? new Env(cls.mod, cls.closure ?? cls.mod.top) : known.env;
    const v = interp.callFn(
      interp.fn(fn, env),
      fn.parameters.map(() => undefined),
      fn,
      env,
    );
    onResult(v, fn);
  }
}
