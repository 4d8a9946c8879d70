import { fileURLToPath } from 'node:url';
import { Catalog } from '../src/scenario/registry.js';
import { dmaPath } from './workloads/dma-stream.js';
import { queueStation } from './workloads/queue.js';

/** The model library the engine loads: every component type, and where the presets are. */
export const catalog = new Catalog()
  .register(queueStation)
  .register(dmaPath);

/** Presets are JSON kept in the source tree (models/presets), next to this module's source. */
export const presetDirs = [fileURLToPath(new URL('../../models/presets/', import.meta.url))];

/** The scenarios `npm start` sweeps into the quick-start report, in report order. */
export const quickstart = ['demo-read-tags', 'dma-bandwidth'];
