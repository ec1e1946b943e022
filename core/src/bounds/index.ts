export * from './bound';
export { activationConstants, isNonLipschitz } from './activations';
export { readCheckpoint, kernelNorms, denseKernels, type Checkpoint, type KernelNorm } from './checkpoint';
export { computeBounds, blockBounds, type BoundsMap, type ComputeBoundsOptions } from './compute-bounds';
export { layerBounds, opBounds, blockScaleBounds, describeBounds, type LayerWeights } from './layer-bounds';
export { spectralNorm, type Matrix64 as Matrix } from '../linalg/matrix64';
