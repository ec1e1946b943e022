// Public surface of the invertible-layer library. Internal helpers (layer-util, spectral-layer and the rest
// of linalg/matrix64) stay unexported.
export * from './invertible';
export * from './seeded-random';
export * from './file-io';
export * from './act-norm';
export * from './coupling-net';
export * from './additive-coupling';
export * from './affine-coupling';
export * from './reversible-block';
export * from './masked-autoregressive';
export * from './neural-ode';
export * from './invertible-linear';
export * from './invertible-conv1x1';
export * from './permutation';
export * from './squeeze';
export * from './flow';
export * from './multi-scale-flow';
// Spectral normalisation and the i-ResNet block.
export * from './lipschitz-activations';
export * from './initializer-config';
export { logAbsDet } from '../linalg/matrix64';
export * from './spectral-norm';
export * from './spectral-dense';
export * from './spectral-conv2d';
export * from './invertible-residual';
export * from './constraint-projection';
export * from './bilipschitz-regularizer';
