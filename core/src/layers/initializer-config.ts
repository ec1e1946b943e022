import * as tf from '@tensorflow/tfjs';
import { configError } from './invertible';

export type Initializer = ReturnType<typeof tf.initializers.zeros>;
export const INITIALIZER_NAMES = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
  'orthogonal',
] as const;
export type InitializerName = (typeof INITIALIZER_NAMES)[number];
export type InitializerIdentifier = InitializerName | Initializer;

const FACTORIES: Record<InitializerName, (seed: number | undefined) => Initializer> = {
  glorotUniform: (seed) => tf.initializers.glorotUniform({ seed }),
  glorotNormal: (seed) => tf.initializers.glorotNormal({ seed }),
  heUniform: (seed) => tf.initializers.heUniform({ seed }),
  heNormal: (seed) => tf.initializers.heNormal({ seed }),
  leCunUniform: (seed) => tf.initializers.leCunUniform({ seed }),
  leCunNormal: (seed) => tf.initializers.leCunNormal({ seed }),
  orthogonal: (seed) => tf.initializers.orthogonal({ seed }),
};

/** A name (seeded with `seed`) or an Initializer instance, as accepted by our layers' kernelInitializer. */
export function resolveInitializer(layerName: string, id: unknown, seed: number | undefined): Initializer {
  if (typeof id === 'string') {
    if (!(INITIALIZER_NAMES as readonly string[]).includes(id)) {
      configError(layerName, `unknown kernelInitializer '${id}'; use one of ${INITIALIZER_NAMES.join(', ')}`);
    }
    return FACTORIES[id as InitializerName](seed);
  }
  if (
    id instanceof tf.serialization.Serializable &&
    typeof (id as Partial<Initializer>).apply === 'function'
  ) {
    return id as Initializer;
  }
  return configError(
    layerName,
    'kernelInitializer must be an initializer name or a tf.initializers instance',
  );
}

/** Config form: the name itself, or {className, config} like tfjs-layers' serializeKerasObject. */
export function initializerToConfig(id: InitializerIdentifier): tf.serialization.ConfigDictValue {
  if (typeof id === 'string') return id;
  // Unset options come back as undefined; JSON would turn them into null on reload, so leave them out.
  const config = Object.fromEntries(Object.entries(id.getConfig()).filter(([, v]) => v !== undefined));
  return { className: id.getClassName(), config };
}

export function initializerFromConfig(value: tf.serialization.ConfigDictValue | undefined): unknown {
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  if (typeof value === 'object' && !Array.isArray(value) && typeof value['className'] === 'string') {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[value['className']];
    const config = value['config'];
    if (entry !== undefined && typeof config === 'object' && config !== null && !Array.isArray(config)) {
      const [cls, fromConfig] = entry;
      return fromConfig(cls, config);
    }
  }
  return value;
}
