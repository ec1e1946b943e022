/**
 * `lipschitz-lens`: stable invertible TensorFlow.js layers and the tfjs backend selection. tfjs is a peer
 * dependency: these layers run on the user's copy. The static analysis lives in `lipschitz-lens/analysis`.
 */
export * from './layers';
export {
  describeBackend,
  selectBackend,
  type BackendChoice,
  type BackendKind,
} from './backend/select-backend';
export * from './monitor';
