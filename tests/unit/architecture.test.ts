import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The tree is the architecture, and imports only go down it: the runtime knows the idea of a parent but
 * no actor or supervisor; supervisors know the runtime; actors know both; the app assembles them; the
 * CLI runs the app. Checked on the import statements themselves.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const files: string[] = [];
const walk = (d: string) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
for (const d of ['src', 'actors', 'supervisors']) walk(join(ROOT, d));

/** `src/runtime`, `actors`, `supervisors`, `src` (its top-level files). */
const folderOf = (p: string) => {
  const parts = relative(ROOT, p).split('/');
  return parts[0] === 'src' ? (parts.length > 2 ? `src/${parts[1]}` : 'src') : parts[0]!;
};

const imports = files.map((f) => ({ file: relative(ROOT, f), from: folderOf(f), text: readFileSync(f, 'utf8'), targets: [...readFileSync(f, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => folderOf(resolve(dirname(f), m[1]!))) }));
const edges = new Map<string, Set<string>>();
for (const i of imports) for (const t of i.targets) if (t !== i.from) (edges.get(i.from) ?? edges.set(i.from, new Set()).get(i.from)!).add(t);

describe('the folder graph', () => {
  it('has no loops between folders', () => {
    const cycles: string[] = [];
    const visit = (n: string, path: string[]) => {
      if (path.includes(n)) return cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
    };
    for (const n of edges.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });

  it.each([
    ['src/runtime', ['actors', 'supervisors', 'src/app', 'src/cli']],
    ['supervisors', ['actors', 'src/app', 'src/cli']],
    ['actors', ['src/app', 'src/cli']],
    ['src/contracts', ['src/runtime', 'actors', 'supervisors', 'src/app']],
  ])('%s imports nothing from %j', (folder, forbidden) => {
    expect([...(edges.get(folder) ?? [])].filter((t) => forbidden.includes(t))).toEqual([]);
  });

  it('talks to nact through one typed wrapper, with no casts to never', () => {
    expect(imports.filter((i) => /from 'nact'/.test(i.text)).map((i) => i.file)).toEqual(['src/runtime/nact.ts']);
    expect(imports.filter((i) => /as never/.test(i.text)).map((i) => i.file)).toEqual([]);
  });
});
