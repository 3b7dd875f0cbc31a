/**
 * Every import in lib/ points down: no module imports one that (through any chain) imports it
 * back, and neither do the folders (auth/, jobs/, tasks/, tick/, …; each top-level file counts as
 * its own). A cycle means a change in either place can break the other, and a newcomer cannot
 * tell which one is the foundation. Type-only imports count too: they are how one module leans on
 * another's shapes. Read from the source, so a new arrow the wrong way fails here at once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = path.resolve('lib');

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return modules(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, '.ts')).filter((t) => t.startsWith(LIB + path.sep));
}

/** The folder a module belongs to, or the module itself when it sits at lib/'s top. */
function folderOf(file: string): string {
  const rel = path.relative(LIB, file).split(path.sep);
  return rel.length > 1 ? `${rel[0]}/` : rel[0]!;
}

/** Every cycle's nodes, found by a depth-first walk (each cycle reported once per entry point). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const files = modules(LIB);
const fileGraph = new Map(files.map((f) => [f, new Set(importsOf(f))]));
const folderGraph = new Map<string, Set<string>>();
for (const [file, targets] of fileGraph) {
  const from = folderOf(file);
  const edges = folderGraph.get(from) ?? new Set<string>();
  for (const t of targets) if (folderOf(t) !== from) edges.add(folderOf(t));
  folderGraph.set(from, edges);
}
const show = (cycle: string[]) => cycle.map((n) => (path.isAbsolute(n) ? path.relative(LIB, n) : n)).join(' → ');

describe('import direction in lib/', () => {
  it('reads every module (the walk found them)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(fileGraph.get(path.join(LIB, 'tick', 'run-tick.ts'))!.size).toBeGreaterThan(3);
  });

  it('no module imports itself back through a chain', () => {
    expect(cycles(fileGraph).map(show)).toEqual([]);
  });

  it('no folder imports itself back through another', () => {
    expect(cycles(folderGraph).map(show)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(graph).map(show)).toEqual(['a → b → c → a']);
  });
});
