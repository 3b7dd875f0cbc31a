/**
 * Turns a professor's answer into a storyboard: an ordered list of scenes, each with the text it
 * explains and the prompt Veo receives. Deterministic, with layered fallbacks: paragraphs, then
 * sentences, then fixed-size chunks, then a default scene. Never an empty prompt, never more
 * scenes than asked for.
 */

export type Style = 'fun' | 'calm' | 'background';

export interface Scene {
  index: number;
  text: string;
  prompt: string;
  durationSeconds: number;
}

export interface StoryboardOptions {
  style: Style;
  maxScenes: number;
  durationSeconds: number;
  question?: string;
}

/** Pieces shorter than this are merged into a neighbour rather than filmed alone. */
const MIN_PIECE_CHARS = 25;
/** A scene's text beyond this is split further; one clip cannot explain more. */
const MAX_PIECE_CHARS = 600;
/** Veo accepts about 1,024 tokens of prompt; this stays well inside that. */
export const MAX_PROMPT_CHARS = 1800;

const STYLE_LEAD: Record<Style, string> = {
  fun: 'A playful, colourful animated explainer with bouncy motion and friendly characters',
  calm: 'A calm, clear educational animation with soft lighting and slow, steady camera moves',
  background: 'A subtle, slow-moving ambient background visual with no text and no people in focus',
};

const CONTINUITY: Record<Style, string> = {
  fun: 'Keep the same cheerful cartoon guide, bright primary palette and classroom setting in every scene',
  calm: 'Keep the same clean whiteboard-style setting, muted blue and warm grey palette and gentle pacing in every scene',
  background: 'Keep the same soft gradient palette and abstract shapes in every scene',
};

function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t\u00a0]+/g, ' ').trim();
}

/** A line opening with a bullet (`-`, `*`, `•`) or a list number (`1.`, `2)`). */
const LIST_ITEM = /\n(?=[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+\S)/g;

function paragraphs(text: string): string[] {
  return text
    // Each item of a list is a paragraph of its own, even without blank lines between items.
    .replace(LIST_ITEM, '\n\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').replace(/^[-*•\d.)\s]+(?=\S)/, '').trim())
    .filter((p) => /[\p{L}\p{N}]/u.test(p));
}

/** Sentence ends in Latin and CJK/Devanagari/Arabic scripts. */
function sentences(text: string): string[] {
  const parts = text.match(/[^.!?。！？।؟]+(?:[.!?。！？।؟]+|$)/gu) ?? [text];
  return parts.map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/** Splits on whitespace near `size`, or hard at `size` for scripts written without spaces. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const cut = rest.lastIndexOf(' ', size);
    const at = cut > size / 2 ? cut : size;
    out.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/** Joins two pieces: scripts written without spaces (CJK) stay without one. */
function join(a: string, b: string): string {
  return /[。！？]$/.test(a) ? `${a}${b}` : `${a} ${b}`;
}

/** Merges pieces that are too short into their neighbour. */
function mergeShort(pieces: string[]): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (last !== undefined && (last.length < MIN_PIECE_CHARS || piece.length < MIN_PIECE_CHARS) && last.length + piece.length < MAX_PIECE_CHARS) {
      out[out.length - 1] = join(last, piece);
    } else {
      out.push(piece);
    }
  }
  return out;
}

/** Merges the shortest adjacent pair until there are at most `max` pieces. */
function fitTo(pieces: string[], max: number): string[] {
  const out = [...pieces];
  while (out.length > max) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) {
      if (out[i]!.length + out[i + 1]!.length < out[best]!.length + out[best + 1]!.length) best = i;
    }
    out.splice(best, 2, join(out[best]!, out[best + 1]!));
  }
  return out;
}

/** Splits text into at most `maxScenes` non-empty pieces, trying coarse cuts first. */
export function splitText(text: string, maxScenes: number): string[] {
  const clean = normalise(text);
  if (!/[\p{L}\p{N}]/u.test(clean)) return [];
  let pieces = paragraphs(clean);
  if (pieces.length < 2) pieces = sentences(clean);
  pieces = pieces.flatMap((p) => (p.length > MAX_PIECE_CHARS ? sentences(p) : [p]));
  pieces = pieces.flatMap((p) => (p.length > MAX_PIECE_CHARS ? chunks(p, MAX_PIECE_CHARS) : [p]));
  return fitTo(mergeShort(pieces), Math.max(1, maxScenes));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

export function scenePrompt(text: string, index: number, total: number, options: StoryboardOptions): string {
  // Subject first: Veo weighs the opening of a prompt most.
  const topic = options.question ? ` The topic: ${clip(options.question.trim(), 200)}.` : '';
  const tail = ` ${STYLE_LEAD[options.style]}. Scene ${index + 1} of ${total}.${topic} ${CONTINUITY[options.style]}.`;
  const room = MAX_PROMPT_CHARS - tail.length - 'Visualise: '.length;
  return `Visualise: ${clip(text, room)}${tail}`;
}

/** The storyboard for `text`; always at least one scene. */
export function buildStoryboard(text: string, options: StoryboardOptions): Scene[] {
  let pieces = splitText(text, options.maxScenes);
  if (pieces.length === 0) pieces = [options.question?.trim() || 'An introduction to the topic'];
  return pieces.map((piece, index) => ({
    index,
    text: piece,
    prompt: scenePrompt(piece, index, pieces.length, options),
    durationSeconds: options.durationSeconds,
  }));
}
