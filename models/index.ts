import { fileURLToPath } from 'node:url';
import { lspciImporter } from './pcie/import/lspci-importer.js';

/**
 * The built-in model library (see src/scenario/library.ts): every component
 * type exported by a module in this folder is found and registered; this
 * file says where the presets are and what the quick-start report runs.
 */

/** Presets are JSON kept in the source tree (models/presets), next to this module's source. */
export const presetDirs = [fileURLToPath(new URL('../../models/presets/', import.meta.url))];

/** The scenarios `npm start` sweeps into the quick-start report, in report order. */
export const quickstart = ['vm-display-pipeline', 'vm-video-encode', 'dma-bandwidth', 'switch-fanin', 'hypercall-costs', 'gref-schemes', 'xen-vs-kvm', 'display-frames', 'hyper-dmabuf', 'p2p-paths', 'iommu-window', 'iommu-map-unmap', 'apu-redirect', 'dmabuf-attach', 'demo-read-tags'];

/** Importers by format, for `pciesim import <format>`: real machines as scenarios. */
export const importers = { lspci: lspciImporter };
