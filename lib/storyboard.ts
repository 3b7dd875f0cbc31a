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

/** A fenced code block set aside while the rest is cleaned: NUL never occurs in an answer (refused). */
const CODE_SLOT = /\u0000(\d+)\u0000/g;

/**
 * Markdown's marks are for a reader's eyes, not a video model's: headings, emphasis, inline code
 * and links keep their words and lose their syntax. A fenced code block is set aside first (its
 * `#`, `-` and `**` are code, not Markdown) and comes back as one piece, without its fences.
 */
function plainText(text: string): { text: string; code: string[] } {
  const code: string[] = [];
  const marked = text.replace(/^[ \t]*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n[ \t]*\1[ \t]*$/gm, (_, _fence: string, body: string) => {
    code.push(body.replace(/\s+/g, ' ').trim());
    return `\u0000${code.length - 1}\u0000`;
  });
  const plain = marked
    .replace(/^[ \t]*#{1,6}[ \t]+/gm, '')
    .replace(/!?\[([^\]\n]+)\]\([^)\s]+\)/g, '$1')
    // Not inside a word: "x**2 + y**2" is arithmetic, not bold.
    .replace(/(?<![\w*])(\*\*|__)(?=\S)([^\n]*?\S)\1(?![\w*])/g, '$2')
    .replace(/(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1')
    .replace(/`([^`\n]+)`/g, '$1');
  return { text: plain, code };
}

/** A line opening with a bullet (`-`, `*`, `•`) or a list number (`1.`, `2)`). */
const LIST_ITEM = /\n(?=[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+\S)/g;

function paragraphs(text: string): string[] {
  return text
    // Each item of a list is a paragraph of its own, even without blank lines between items.
    .replace(LIST_ITEM, '\n\n')
    .split(/\n\s*\n/)
    // Only a real marker (a bullet or a list number, then a space): "2x + 3" and "1905 was" keep their numbers.
    .map((p) => p.replace(/\s*\n\s*/g, ' ').replace(/^\s*(?:[-*•]|\d{1,3}[.)])\s+(?=\S)/, '').trim())
    .filter((p) => /[\p{L}\p{N}]/u.test(p));
}

/**
 * Sentence ends: a full stop, question or exclamation mark (closing quotes and brackets kept with
 * it) followed by a space, so "3.14", "i.e." and URLs stay whole; CJK marks need no space after.
 */
function sentences(text: string): string[] {
  const parts = text.split(/(?<=[.!?।؟]["'”’)\]]*)\s+|(?<=[。！？])/u);
  return parts.map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s));
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });

/** The end of the last segment of `text` that ends at or before `max`. */
function lastBoundary(segmenter: Intl.Segmenter, text: string, max: number): number {
  let end = 0;
  // A little context past `max` is all the boundary rules look at.
  for (const { index, segment } of segmenter.segment(text.slice(0, max + 32))) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return end;
}

/**
 * Where to cut `text` so the first part holds at most `max` UTF-16 units: at a space in its
 * second half, else at a word boundary (Thai, CJK), else between two characters. Never inside a
 * surrogate pair, an accented letter or an emoji sequence: half a character is not text, and
 * PostgreSQL refuses it in JSON.
 */
function cutPoint(text: string, max: number): number {
  if (text.length <= max) return text.length;
  const space = text.lastIndexOf(' ', max);
  if (space > max / 2) return space;
  const word = lastBoundary(words, text, max);
  if (word > max / 2) return word;
  const grapheme = lastBoundary(graphemes, text, max);
  if (grapheme > 0) return grapheme;
  // One "character" longer than `max` (a letter with thousands of accents): cut between code points.
  return /[\udc00-\udfff]/.test(text[max] ?? '') ? max - 1 : max;
}

/** Splits text into pieces of at most `size` units, at the best cut near each limit. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const at = cutPoint(rest, size);
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
    // Only until the piece is long enough: growing it further is fitTo's call, made evenly.
    if (last !== undefined && last.length < MIN_PIECE_CHARS && last.length + piece.length < MAX_PIECE_CHARS) out[out.length - 1] = join(last, piece);
    else out.push(piece);
  }
  const tail = out.at(-1);
  if (out.length > 1 && tail!.length < MIN_PIECE_CHARS && out.at(-2)!.length + tail!.length < MAX_PIECE_CHARS) out.splice(-2, 2, join(out.at(-2)!, tail!));
  return out;
}

/**
 * Groups consecutive pieces into at most `max` scenes, making the longest scene as short as it
 * can be: each scene's prompt has room for so much text, and an even split loses the least.
 */
function fitTo(pieces: string[], max: number): string[] {
  const n = pieces.length;
  if (n <= max) return pieces;
  // cost[k][i]: the longest scene when the first i pieces make k scenes; from[k][i]: where the last starts.
  const before = [0];
  for (const piece of pieces) before.push(before.at(-1)! + piece.length + 1);
  const span = (start: number, end: number) => before[end]! - before[start]! - 1;
  const cost = Array.from({ length: max + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const from = Array.from({ length: max + 1 }, () => new Array<number>(n + 1).fill(0));
  cost[0]![0] = 0;
  for (let k = 1; k <= max; k++) {
    for (let i = k; i <= n; i++) {
      for (let j = k - 1; j < i; j++) {
        const c = Math.max(cost[k - 1]![j]!, span(j, i));
        if (c < cost[k]![i]!) {
          cost[k]![i] = c;
          from[k]![i] = j;
        }
      }
    }
  }
  const out: string[] = [];
  for (let k = max, i = n; k > 0; k--) {
    const j = from[k]![i]!;
    out.unshift(pieces.slice(j, i).reduce(join));
    i = j;
  }
  return out;
}

/** Splits text into at most `maxScenes` non-empty pieces, trying coarse cuts first. */
export function splitText(text: string, maxScenes: number): string[] {
  const { text: plain, code } = plainText(text.replace(/\r\n?/g, '\n'));
  const clean = plain.replace(/[ \t\u00a0]+/g, ' ').trim();
  const restore = (piece: string) => piece.replace(CODE_SLOT, (_, i: string) => code[Number(i)] ?? '');
  if (!/[\p{L}\p{N}]/u.test(restore(clean))) return [];
  let pieces = paragraphs(clean);
  if (pieces.length < 2) pieces = sentences(clean);
  pieces = pieces.map(restore).filter((p) => /[\p{L}\p{N}]/u.test(p));
  pieces = pieces.flatMap((p) => (p.length > MAX_PIECE_CHARS ? sentences(p) : [p]));
  pieces = pieces.flatMap((p) => (p.length > MAX_PIECE_CHARS ? chunks(p, MAX_PIECE_CHARS) : [p]));
  return fitTo(mergeShort(pieces), Math.max(1, maxScenes));
}

/** `text` shortened to at most `max` units at a word or character boundary, marked with "…". */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, cutPoint(text, max - 1)).trimEnd()}…`;
}

function promptParts(index: number, total: number, options: StoryboardOptions, lead: string) {
  const question = options.question?.trim();
  // "Why do apples fall?" needs no full stop after it.
  const topic = question ? ` The topic: ${clip(question, 200)}${/[.!?。！？]$/u.test(question) ? '' : '.'}` : '';
  const head = `${lead ? `${lead}. ` : ''}Visualise: `;
  const tail = ` ${STYLE_LEAD[options.style]}. Scene ${index + 1} of ${total}.${topic} ${CONTINUITY[options.style]}.`;
  return { head, tail, room: MAX_PROMPT_CHARS - head.length - tail.length };
}

/**
 * The prompt for one scene: its subject first (Veo weighs the opening most), then the style and
 * continuity cues, which are never cut; a `lead` (a still's "one image, no motion") goes in front.
 * Only the subject is shortened when the whole would not fit.
 */
export function scenePrompt(text: string, index: number, total: number, options: StoryboardOptions, lead = ''): string {
  const { head, tail, room } = promptParts(index, total, options, lead);
  return `${head}${clip(text, room)}${tail}`;
}

/** How much of a scene's text its prompt leaves out (0 when it fits). */
export function promptShortfall(text: string, index: number, total: number, options: StoryboardOptions): number {
  return Math.max(0, text.length - promptParts(index, total, options, '').room);
}

/** The storyboard for `text`; always at least one scene. */
export function buildStoryboard(text: string, options: StoryboardOptions): Scene[] {
  return storyboardFrom(splitText(text, options.maxScenes), options);
}

/** The storyboard for pieces splitText made; with none (nothing to film), one scene of the question. */
export function storyboardFrom(split: string[], options: StoryboardOptions): Scene[] {
  const pieces = split.length > 0 ? split : [options.question?.trim() || 'An introduction to the topic'];
  return pieces.map((piece, index) => ({
    index,
    text: piece,
    prompt: scenePrompt(piece, index, pieces.length, options),
    durationSeconds: options.durationSeconds,
  }));
}
