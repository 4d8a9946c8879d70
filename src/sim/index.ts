export * from './time.js';
export * from './simulation.js';
export { SimEvent } from './event.js';
export { Process, type ProcessBody, type ProcessOptions, type Yieldable } from './process.js';
export { Resource, Store } from './resource.js';
export { RandomStream } from './random.js';
export { Fifo } from './fifo.js';
