/**
 * kvm.host: a KVM host as its guests' buffers reach it (sharing.ts): guest
 * exits, udmabuf creation from a guest's memfd pages, virtio-gpu blob
 * commands; the platform's costs from a preset (kvm-x86).
 */
import { defineComponent, type ComponentContext, type MetricValue, type StatDecl } from '../../src/scenario/registry.js';
import { Attribution } from '../../src/stats/attribution.js';
import { kvmCostParams } from './costs.js';
import { KvmSharing } from './sharing.js';
import { kvmSharingInvariants } from './conservation.js';

export const KVM_HOST = 'kvm.host';

const stats: readonly StatDecl[] = [
  { name: 'exits', unit: 'exits', description: 'Guest exits to the host (virtqueue kicks)' },
  { name: 'interrupts', unit: 'interrupts', description: 'Completion interrupts injected into guests' },
  { name: 'udmabufs', unit: 'buffers', description: 'udmabufs created' },
  { name: 'udmabuf_failures', unit: 'buffers', description: 'UDMABUF_CREATE_LIST calls refused (list or size limit)' },
];

export class KvmHost {
  readonly ledger = new Attribution();
  readonly sharing: KvmSharing;

  constructor(_ctx: ComponentContext, p: typeof kvmCostParams._zod.output) {
    this.sharing = new KvmSharing(p, this.ledger);
  }

  metrics(): Record<string, MetricValue> {
    const c = this.sharing.counts();
    return { exits: c.exits, interrupts: c.interrupts, udmabufs: c.udmabufs, udmabuf_failures: c.udmabufFailures };
  }

  attribution(): Attribution {
    return this.ledger;
  }

  invariants(): string[] {
    return kvmSharingInvariants(this.sharing.counts(), this.sharing.livePages());
  }
}

export const kvmHost = defineComponent({
  type: KVM_HOST,
  description: "A KVM host: guest exits, udmabuf from a guest's memfd pages (list and size limits), virtio-gpu blob resources; costs from a preset",
  params: kvmCostParams,
  defaultPreset: 'kvm-x86',
  stats,
  create: (ctx, p) => new KvmHost(ctx, p),
});
