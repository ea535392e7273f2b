/**
 * ImageLocality: favour nodes that already have the pod's images, weighted by image size and by how
 * widely the image is spread (to avoid piling pods on the one node that has it).
 */
import { MAX_NODE_SCORE, type ScorePlugin } from '../types.js';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export function normalizedImageName(name: string): string {
  const last = name.split('/').pop() ?? name;
  if (!last.includes(':') && !name.includes('@')) return `${name}:latest`;
  return name;
}

interface ImageState { images: string[]; spread: Map<string, number> }

export const imageLocalityScore: ScorePlugin = {
  name: 'ImageLocality',
  weight: 1,
  preScore(state, _nodes, view) {
    if (!view.anyNodeImages) { state.data.delete('ImageLocality'); return; }
    const images = state.pod.images.map(normalizedImageName);
    const total = view.nodes().length;
    const spread = new Map<string, number>();
    for (const img of images) spread.set(img, total === 0 ? 0 : view.imageNodeCount(img) / total);
    state.data.set('ImageLocality', { images, spread } satisfies ImageState);
  },
  score(state, node) {
    const st = state.data.get('ImageLocality') as ImageState | undefined;
    if (!st || st.images.length === 0 || node.images.size === 0) return 0;
    let sum = 0;
    for (const img of st.images) {
      const size = node.images.get(img);
      if (size !== undefined) sum += size * (st.spread.get(img) ?? 0);
    }
    const max = MAX_CONTAINER_THRESHOLD * st.images.length;
    if (sum < MIN_THRESHOLD) sum = MIN_THRESHOLD; else if (sum > max) sum = max;
    return Math.floor((MAX_NODE_SCORE * (sum - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
  },
};
