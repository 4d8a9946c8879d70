/**
 * A Xen platform's costs: the hypervisor's operations (costs.ts) and its
 * communication paths (channel-costs.ts), the parameters of a
 * xen.hypervisor (presets: xen-x86, xen-arm on it).
 */
import { armNeedsTlbi, xenCostParams } from './costs.js';
import { xenChannelCostParams } from './channel-costs.js';

export const xenPlatformParams = xenCostParams.extend(xenChannelCostParams.shape).superRefine(armNeedsTlbi);
