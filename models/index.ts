import { fileURLToPath } from 'node:url';
import { Catalog } from '../src/scenario/registry.js';
import { dmaPath } from './workloads/dma-stream.js';
import { queueStation } from './workloads/queue.js';
import { fairness } from './workloads/fairness.js';
import { p2pTransfer } from './workloads/p2p.js';
import { mapDmaUnmap } from './workloads/dma-map-unmap.js';
import { hypercallStudy } from './xen/hypercall-study.js';
import { grefStudy } from './dmabuf/gref-study.js';
import { displayStudy } from './dmabuf/display.js';
import { hyperDmabufStudy } from './dmabuf/hyper-dmabuf-study.js';
import { attachStudy } from './dmabuf/attach-study.js';
import { endpointType } from './pcie/topology/endpoint.js';
import { linkType } from './pcie/topology/link.js';
import { rootComplexType } from './pcie/topology/root-complex.js';
import { switchType } from './pcie/topology/switch.js';
import { lspciImporter } from './pcie/import/lspci-importer.js';

/** The model library the engine loads: every component type, and where the presets are. */
export const catalog = new Catalog()
  .register(queueStation)
  .register(dmaPath)
  .register(rootComplexType)
  .register(switchType)
  .register(endpointType)
  .register(linkType)
  .register(fairness)
  .register(p2pTransfer)
  .register(mapDmaUnmap)
  .register(hypercallStudy)
  .register(grefStudy)
  .register(displayStudy)
  .register(hyperDmabufStudy)
  .register(attachStudy);

/** Presets are JSON kept in the source tree (models/presets), next to this module's source. */
export const presetDirs = [fileURLToPath(new URL('../../models/presets/', import.meta.url))];

/** The scenarios `npm start` sweeps into the quick-start report, in report order. */
export const quickstart = ['demo-read-tags', 'dma-bandwidth', 'switch-fanin', 'hypercall-costs', 'gref-schemes', 'xen-vs-kvm', 'display-frames', 'hyper-dmabuf', 'p2p-paths', 'iommu-window', 'iommu-map-unmap', 'apu-redirect', 'dmabuf-attach'];

/** Importers by format, for `pciesim import <format>`: real machines as scenarios. */
export const importers = { lspci: lspciImporter };
