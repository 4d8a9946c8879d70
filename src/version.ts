import { createRequire } from 'node:module';

/** The package version, recorded in every output file's provenance. */
export const PCIESIM_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
