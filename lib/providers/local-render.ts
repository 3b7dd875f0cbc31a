/**
 * What the local stand-ins draw with: frame sizes, the caption (a font drawtext can use, the
 * filters that draw it, word wrap), and the marker that makes a stand-in refuse a prompt as
 * Google's safety filter would. Shared by the video stand-in (local.ts) and the still stand-in
 * (local-still.ts), so neither imports the other.
 */
import { access } from 'node:fs/promises';
import { ffmpegFilters } from '../media/ffmpeg.js';
import type { AspectRatio } from './types.js';

/** Put this in a prompt to make the stand-in refuse it the way Veo's safety filter does. */
export const BLOCKED_MARKER = '[[blocked]]';

/** No `g` flag: `test` on a global regex would carry lastIndex between calls. */
export const BLOCKED_PATTERN = /\[\[blocked\]\]/i;

export const FRAME_SIZES: Record<AspectRatio, { width: number; height: number }> = {
  '16:9': { width: 640, height: 360 },
  '9:16': { width: 360, height: 640 },
};

/** Fonts drawtext can use without fontconfig, on common Linux distributions, macOS and Windows. */
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeSans.ttf',
  '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf',
  '/usr/share/fonts/noto/NotoSans-Regular.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:/Windows/Fonts/arial.ttf',
];

/** Cuts at a code point, not a UTF-16 unit, so an emoji is never split in half. */
export function truncate(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * Escapes a value for a filter option inside a filtergraph: once for the option parser
 * (`\ ' :`), then once more for the graph parser (`\ ' [ ] , ;`).
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\':]/g, '\\$&').replace(/[\\'[\],;]/g, '\\$&');
}

/** Greedy word wrap into at most `maxLines` lines of `columns` characters. */
export function wrap(text: string, columns: number, maxLines: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if ([...candidate].length <= columns || !line) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines.join('\n');
  return [...lines.slice(0, maxLines - 1), truncate(lines.slice(maxLines - 1).join(' '), columns)].join('\n');
}

let fontLookup: Promise<string | undefined> | undefined;

function findFont(): Promise<string | undefined> {
  fontLookup ??= (async () => {
    for (const candidate of FONT_CANDIDATES) {
      if (await access(candidate).then(() => true, () => false)) return candidate;
    }
    return undefined;
  })();
  return fontLookup;
}

/** drawtext needs libfreetype in the build and a font on disk; without either the clip has no caption. */
export async function captionFont(binary: string): Promise<string | undefined> {
  const filters = await ffmpegFilters(binary).catch(() => new Set<string>());
  return filters.has('drawtext') ? findFont() : undefined;
}

export function fontSizeFor(width: number, height: number): number {
  return Math.round(Math.min(width, height) / 16);
}

export function captionFilters(textFile: string, font: string, width: number, height: number): string[] {
  const fontSize = fontSizeFor(width, height);
  return [
    `drawbox=x=0:y=ih*0.68:w=iw:h=ih*0.32:color=black@0.55:t=fill`,
    [
      `drawtext=fontfile=${escapeFilterValue(font)}`,
      `textfile=${escapeFilterValue(textFile)}`,
      // The prompt is data: `%{…}` in it must not run drawtext's expansions.
      'expansion=none',
      'fontcolor=white',
      `fontsize=${fontSize}`,
      `line_spacing=${Math.round(fontSize / 3)}`,
      'x=(w-tw)/2',
      'y=h*0.68+(h*0.32-th)/2',
    ].join(':'),
  ];
}
