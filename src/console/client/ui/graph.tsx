/**
 * A task graph drawn in layers: a task sits one column right of its latest dependency, arrows go
 * from a dependency to the task that waits for it, and each box is coloured by the task's state.
 * The tables beside it carry the same facts for screen readers.
 */
import { type GraphEdge, type GraphNode, layers } from "../tasks";

const BOX_W = 150;
const BOX_H = 44;
const GAP_X = 56;
const GAP_Y = 16;

export function TaskGraph(props: { nodes: GraphNode[]; edges: GraphEdge[]; label: string }) {
  const level = layers(props.nodes, props.edges);
  const columns: GraphNode[][] = [];
  for (const node of props.nodes) {
    const c = level.get(node.key) ?? 0;
    columns[c] = [...(columns[c] ?? []), node];
  }
  const position = new Map<string, { x: number; y: number }>();
  for (const [c, column] of columns.entries()) {
    for (const [r, node] of (column ?? []).entries())
      position.set(node.key, { x: 8 + c * (BOX_W + GAP_X), y: 8 + r * (BOX_H + GAP_Y) });
  }
  const width = 16 + columns.length * BOX_W + Math.max(0, columns.length - 1) * GAP_X;
  const height = 16 + Math.max(1, ...columns.map((c) => c?.length ?? 0)) * (BOX_H + GAP_Y) - GAP_Y;
  const short = (text: string) => (text.length > 18 ? `${text.slice(0, 17)}…` : text);
  return (
    <div class="graph-box">
      <svg width={width} height={height} role="img" aria-label={props.label}>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {props.edges.map((e) => {
          const a = position.get(e.from);
          const b = position.get(e.to);
          if (!a || !b) return null;
          const x1 = a.x + BOX_W;
          const y1 = a.y + BOX_H / 2;
          const x2 = b.x;
          const y2 = b.y + BOX_H / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              class="edge"
              d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`}
              marker-end="url(#arrow)"
            />
          );
        })}
        {props.nodes.map((n) => {
          const p = position.get(n.key);
          if (!p) return null;
          return (
            <g class={`node node-${n.status ?? "plain"}`}>
              <title>{`${n.key}${n.status ? `: ${n.status}` : ""}${n.detail ? ` (${n.detail})` : ""}`}</title>
              <rect x={p.x} y={p.y} width={BOX_W} height={BOX_H} rx={6} />
              <text x={p.x + 10} y={p.y + 18} class="node-key">
                {short(n.key)}
              </text>
              <text x={p.x + 10} y={p.y + 35} class="node-status">
                {short((n.status ?? n.detail ?? "").replace("_", " "))}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
