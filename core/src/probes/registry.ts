/** Every probe by id, in the order an audit runs them (cheap and headline figures first). */
import { attack } from './attack';
import { condition } from './condition';
import { forwardLipschitz } from './forward-lipschitz';
import { inverseLipschitz } from './inverse-lipschitz';
import { logdet } from './logdet';
import { memoryBackprop } from './memory-backprop';
import type { Probe, ProbeId } from './probe';
import { reconstruction } from './reconstruction';
import { sampling } from './sampling';

export const PROBES: Record<ProbeId, Probe> = {
  reconstruction,
  'forward-lipschitz': forwardLipschitz,
  'inverse-lipschitz': inverseLipschitz,
  sampling,
  condition,
  logdet,
  'memory-backprop': memoryBackprop,
  attack,
};
