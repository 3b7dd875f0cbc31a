/**
 * Variations of a finished video: each one a different random combination of effects (crop and
 * zoom, mirror, colour, speed, grain, vignette, blur), drawn from a seeded PRNG so the same seed
 * always gives the same set. Parameters come from small menus rather than continuous ranges, so
 * "different" is decidable: no two variations of one set share a combination.
 * Filters are limited to what the bundled 2018 ffmpeg has.
 */
import { seededRandom } from '../random.js';

export interface Effects {
  crop?: { zoom: number; anchor: 'centre' | 'top-left' | 'bottom-right' };
  mirror?: true;
  colour?: 'warm' | 'cool' | 'vivid' | 'muted' | 'mono';
  speed?: number;
  grain?: number;
  vignette?: true;
  blur?: true;
}

const ZOOMS = [0.8, 0.85, 0.9];
const ANCHORS = ['centre', 'top-left', 'bottom-right'] as const;
const COLOURS = ['warm', 'cool', 'vivid', 'muted', 'mono'] as const;
const SPEEDS = [0.8, 0.9, 1.1, 1.25];
const GRAINS = [8, 14, 20];
const KINDS = ['crop', 'mirror', 'colour', 'speed', 'grain', 'vignette', 'blur'] as const;
/** At least this many effects each, so every variation is plainly not the source. */
const MIN_EFFECTS = 2;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function draw(random: () => number): Effects {
  const chosen = KINDS.filter(() => random() < 0.45);
  while (chosen.length < MIN_EFFECTS) {
    const extra = pick(random, KINDS);
    if (!chosen.includes(extra)) chosen.push(extra);
  }
  const effects: Effects = {};
  for (const kind of chosen) {
    if (kind === 'crop') effects.crop = { zoom: pick(random, ZOOMS), anchor: pick(random, ANCHORS) };
    if (kind === 'mirror') effects.mirror = true;
    if (kind === 'colour') effects.colour = pick(random, COLOURS);
    if (kind === 'speed') effects.speed = pick(random, SPEEDS);
    if (kind === 'grain') effects.grain = pick(random, GRAINS);
    if (kind === 'vignette') effects.vignette = true;
    if (kind === 'blur') effects.blur = true;
  }
  return effects;
}

/** A canonical key: two effect sets are the same variation exactly when their keys match. */
export function effectsKey(effects: Effects): string {
  return JSON.stringify(KINDS.map((k) => effects[k] ?? null));
}

/** `count` distinct effect sets for `seed`; the same arguments always give the same list. */
export function pickVariations(seed: number, count: number): Effects[] {
  const random = seededRandom(seed);
  const out: Effects[] = [];
  const seen = new Set<string>();
  // The menus allow thousands of combinations; the bound only guards against a broken PRNG.
  for (let tries = 0; out.length < count && tries < count * 1000; tries++) {
    const effects = draw(random);
    const key = effectsKey(effects);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(effects);
  }
  if (out.length < count) throw new Error(`Could not draw ${count} distinct variations from seed ${seed}`);
  return out;
}

const COLOUR_FILTERS: Record<NonNullable<Effects['colour']>, string> = {
  warm: 'eq=gamma_r=1.15:gamma_b=0.85:saturation=1.15',
  cool: 'eq=gamma_r=0.88:gamma_b=1.15',
  vivid: 'eq=contrast=1.2:saturation=1.6',
  muted: 'eq=contrast=0.9:saturation=0.55:brightness=0.03',
  mono: 'hue=s=0',
};

function even(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}

/** The video filter chain; the output keeps the source's frame size. */
export function videoFilters(effects: Effects, width: number, height: number): string {
  const w = even(width);
  const h = even(height);
  const chain: string[] = [];
  if (effects.crop) {
    const { zoom, anchor } = effects.crop;
    const x = anchor === 'top-left' ? '0' : anchor === 'centre' ? `(iw-iw*${zoom})/2` : `iw-iw*${zoom}`;
    const y = anchor === 'top-left' ? '0' : anchor === 'centre' ? `(ih-ih*${zoom})/2` : `ih-ih*${zoom}`;
    chain.push(`crop=iw*${zoom}:ih*${zoom}:${x}:${y}`, `scale=${w}:${h}`);
  }
  if (effects.mirror) chain.push('hflip');
  if (effects.colour) chain.push(COLOUR_FILTERS[effects.colour]);
  if (effects.blur) chain.push('boxblur=2:1');
  if (effects.vignette) chain.push('vignette=PI/5');
  if (effects.grain) chain.push(`noise=alls=${effects.grain}:allf=t`);
  if (effects.speed) chain.push(`setpts=PTS/${effects.speed}`);
  chain.push(`scale=${w}:${h}`, 'setsar=1', 'format=yuv420p');
  return chain.join(',');
}

/** How long the variation of a `sourceSeconds` clip runs. */
export function variationSeconds(sourceSeconds: number, effects: Effects): number {
  return sourceSeconds / (effects.speed ?? 1);
}

export function variationArgs(input: string, output: string, effects: Effects, source: { width: number; height: number; hasAudio: boolean }): string[] {
  const audio = source.hasAudio
    ? ['-map', '0:a:0', ...(effects.speed ? ['-filter:a', `atempo=${effects.speed}`] : []), '-c:a', 'aac', '-b:a', '128k']
    : [];
  return [
    '-i', input,
    '-map', '0:v:0',
    '-filter:v', videoFilters(effects, source.width, source.height),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
    ...audio,
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', output,
  ];
}

/** Words for the status endpoint: "zoom 0.85 (centre), mirror, warm colour". */
export function describeEffects(effects: Effects): string {
  const words: string[] = [];
  if (effects.crop) words.push(`zoom ${effects.crop.zoom} (${effects.crop.anchor})`);
  if (effects.mirror) words.push('mirror');
  if (effects.colour) words.push(`${effects.colour} colour`);
  if (effects.speed) words.push(`speed ${effects.speed}x`);
  if (effects.grain) words.push(`grain ${effects.grain}`);
  if (effects.vignette) words.push('vignette');
  if (effects.blur) words.push('soft blur');
  return words.join(', ');
}
