export * from './bound';
export { activationConstants, isNonLipschitz } from './activations';
export {
  readCheckpoint,
  checkpointNorms,
  denseKernels,
  type Checkpoint,
  type CheckpointNorms,
  type KernelNorm,
} from './checkpoint';
export { CheckpointCache, loadAll, type CheckpointLookup } from './checkpoint-cache';
export { CheckpointAccessError, STATIC_BOUND_LIMITS, type ReadLimits } from './checkpoint-access';
export { computeBounds, blockBounds, type BoundsMap, type ComputeBoundsOptions } from './compute-bounds';
export { layerBounds, opBounds, blockScaleBounds, describeBounds, type LayerWeights } from './layer-bounds';
export { spectralNorm, type Matrix64 as Matrix } from '../linalg/matrix64';
