/**
 * Pure graph algorithms over module dependencies: no I/O, no ORM, so they are tested on their own.
 * An edge `{ from, to }` reads "`from` depends on `to`" (ocr → storage).
 */
export interface Edge {
  from: string;
  to: string;
}

export interface Dependent {
  id: string;
  /** 1 = depends on the target directly. */
  depth: number;
  /** Node ids from the dependent down to the target, both included: [dependent, …, target]. */
  path: string[];
}

function adjacency(edges: readonly Edge[], reverse: boolean): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    const [a, b] = reverse ? [to, from] : [from, to];
    const list = next.get(a);
    if (list) list.push(b);
    else next.set(a, [b]);
  }
  // Sorted neighbours: the same graph always gives the same answer (paths, cycle reported).
  for (const list of next.values()) list.sort();
  return next;
}

/**
 * Every node that depends on `target`, directly or transitively, each once, at its shortest
 * distance, with one shortest path down to the target. Cycles in `edges` cannot loop it.
 * Ordered by depth, then id.
 */
export function transitiveDependents(edges: readonly Edge[], target: string): Dependent[] {
  const dependentsOf = adjacency(edges, true);
  const pathTo = new Map<string, string[]>([[target, [target]]]);
  const found: Dependent[] = [];
  let frontier = [target];
  for (let depth = 1; frontier.length > 0; depth++) {
    const nextFrontier: string[] = [];
    for (const node of frontier) {
      for (const dependent of dependentsOf.get(node) ?? []) {
        if (pathTo.has(dependent)) continue;
        const path = [dependent, ...pathTo.get(node)!];
        pathTo.set(dependent, path);
        found.push({ id: dependent, depth, path });
        nextFrontier.push(dependent);
      }
    }
    frontier = nextFrontier.sort();
  }
  return found.sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id));
}

/**
 * The shortest cycle that goes through `node`, as [node, …, node], or null when there is none.
 * Used before a change to `node`'s outgoing edges is kept: the graph was acyclic before, so any
 * cycle the change makes goes through `node`.
 */
export function findCycleThrough(edges: readonly Edge[], node: string): string[] | null {
  const dependsOn = adjacency(edges, false);
  const pathFrom = new Map<string, string[]>([[node, [node]]]);
  let frontier = [node];
  while (frontier.length > 0) {
    const nextFrontier: string[] = [];
    for (const current of frontier) {
      for (const next of dependsOn.get(current) ?? []) {
        if (next === node) return [...pathFrom.get(current)!, node];
        if (pathFrom.has(next)) continue;
        pathFrom.set(next, [...pathFrom.get(current)!, next]);
        nextFrontier.push(next);
      }
    }
    frontier = nextFrontier;
  }
  return null;
}

/** Replaces the outgoing edges of `node` with edges to `dependsOn` (deduplicated). */
export function withOutgoingEdges(
  edges: readonly Edge[],
  node: string,
  dependsOn: readonly string[],
): Edge[] {
  return [
    ...edges.filter((edge) => edge.from !== node),
    ...[...new Set(dependsOn)].map((to) => ({ from: node, to })),
  ];
}

/** "ocr → billing → ocr": how a path of node ids reads to a person. */
export function describePath(path: readonly string[], nameOf: (id: string) => string): string {
  return path.map(nameOf).join(' → ');
}
