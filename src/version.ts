import { readFileSync } from 'node:fs';

/** This build's version, package.json's: what `--version` prints and what the traces name as service.version. */
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
