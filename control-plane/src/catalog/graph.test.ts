import { describe, expect, it } from 'vitest';
import { describePath, findCycleThrough, transitiveDependents, withOutgoingEdges, type Edge } from './graph';

const edges = (...pairs: Array<[string, string]>): Edge[] => pairs.map(([from, to]) => ({ from, to }));

describe('transitive dependents', () => {
  it('lists direct dependents at depth 1 and their own dependents further down, with the path to the target', () => {
    // portal → ocr → storage, billing → storage, reports → billing
    const graph = edges(
      ['portal', 'ocr'],
      ['ocr', 'storage'],
      ['billing', 'storage'],
      ['reports', 'billing'],
    );
    expect(transitiveDependents(graph, 'storage')).toEqual([
      { id: 'billing', depth: 1, path: ['billing', 'storage'] },
      { id: 'ocr', depth: 1, path: ['ocr', 'storage'] },
      { id: 'portal', depth: 2, path: ['portal', 'ocr', 'storage'] },
      { id: 'reports', depth: 2, path: ['reports', 'billing', 'storage'] },
    ]);
  });

  it('ignores what the target itself depends on, and unrelated modules', () => {
    const graph = edges(['ocr', 'billing'], ['billing', 'storage'], ['search', 'index']);
    expect(transitiveDependents(graph, 'billing').map((d) => d.id)).toEqual(['ocr']);
    expect(transitiveDependents(graph, 'ocr')).toEqual([]);
  });

  it('reports a module reached by two routes once, at its shortest distance', () => {
    // diamond: app → a → core, app → b → c → core, app → core
    const graph = edges(
      ['app', 'a'],
      ['a', 'core'],
      ['app', 'b'],
      ['b', 'c'],
      ['c', 'core'],
      ['app', 'core'],
    );
    const dependents = transitiveDependents(graph, 'core');
    expect(dependents.filter((d) => d.id === 'app')).toEqual([
      { id: 'app', depth: 1, path: ['app', 'core'] },
    ]);
    expect(dependents.map((d) => [d.id, d.depth])).toEqual([
      ['a', 1],
      ['app', 1],
      ['c', 1],
      ['b', 2],
    ]);
  });

  it('terminates on a graph that (wrongly) holds a cycle, and never lists the target as its own dependent', () => {
    const graph = edges(['a', 'b'], ['b', 'c'], ['c', 'a']);
    expect(transitiveDependents(graph, 'a')).toEqual([
      { id: 'c', depth: 1, path: ['c', 'a'] },
      { id: 'b', depth: 2, path: ['b', 'c', 'a'] },
    ]);
  });
});

describe('cycle detection', () => {
  it('finds no cycle in an acyclic graph', () => {
    const graph = edges(['ocr', 'billing'], ['billing', 'storage'], ['ocr', 'storage']);
    for (const node of ['ocr', 'billing', 'storage', 'unknown'])
      expect(findCycleThrough(graph, node)).toBeNull();
  });

  it('finds a two-module cycle and names it from the changed module back to itself', () => {
    const graph = withOutgoingEdges(edges(['ocr', 'billing']), 'billing', ['ocr']);
    expect(findCycleThrough(graph, 'billing')).toEqual(['billing', 'ocr', 'billing']);
  });

  it('finds a longer cycle, and the shortest one when there are several', () => {
    const base = edges(['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd']);
    expect(findCycleThrough(withOutgoingEdges(base, 'd', ['a']), 'd')).toEqual(['d', 'a', 'd']);
    expect(findCycleThrough(withOutgoingEdges(base, 'd', ['b']), 'd')).toEqual(['d', 'b', 'c', 'd']);
  });

  it('treats a module depending on itself as a cycle', () => {
    expect(findCycleThrough(withOutgoingEdges([], 'ocr', ['ocr']), 'ocr')).toEqual(['ocr', 'ocr']);
  });

  it('replacing outgoing edges drops the old ones, so removing an edge can break a would-be cycle', () => {
    const base = edges(['a', 'b'], ['b', 'c']);
    // c → a alone would close a → b → c → a; but a no longer depends on b after the change.
    const changed = withOutgoingEdges(withOutgoingEdges(base, 'a', []), 'c', ['a']);
    expect(changed).toEqual(edges(['b', 'c'], ['c', 'a']));
    expect(findCycleThrough(changed, 'c')).toBeNull();
    expect(withOutgoingEdges(base, 'a', ['c', 'c', 'b'])).toEqual(edges(['b', 'c'], ['a', 'c'], ['a', 'b']));
  });

  it('reads a path as people say it', () => {
    const names: Record<string, string> = { '1': 'ocr', '2': 'billing' };
    expect(describePath(['1', '2', '1'], (id) => names[id] ?? id)).toBe('ocr → billing → ocr');
  });
});
