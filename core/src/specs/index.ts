/** Layer specifications: defaults, option checks and bound formulas, free of tfjs (see spec.ts). */
export * from './spec';
export * from './act-norm';
export * from './additive-coupling';
export * from './affine-coupling';
export * from './coupling-net';
export * from './invertible-linear';
export * from './invertible-residual';
export * from './masked-autoregressive';
export * from './multi-scale-flow';
export * from './neural-ode';
export * from './permutation';
export * from './reversible-block';
export * from './spectral';
export * from './squeeze';
