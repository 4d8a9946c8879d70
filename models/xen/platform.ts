/**
 * The whole "xen.*" parameter group a Xen component includes and a
 * "xen.platform" preset sets: the hypervisor's operation costs (costs.ts)
 * and its communication paths' (channel-costs.ts).
 */
import { xenCostShape } from './costs.js';
import { xenChannelCostShape } from './channel-costs.js';

export const xenPlatformShape = { ...xenCostShape, ...xenChannelCostShape };
