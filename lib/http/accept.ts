/**
 * Content negotiation on the Accept header (RFC 9110 §12.5.1), for an endpoint that can answer in
 * more than one form. Each offered type takes the quality of the most specific range matching it
 * (`text/plain` over `text/*` over `*\/*`); the highest quality wins and a tie goes to the first
 * offered, so a client that says nothing (or `*\/*`) gets the default form.
 */

interface Range {
  type: string;
  subtype: string;
  q: number;
}

function parseRanges(header: string): Range[] {
  const ranges: Range[] = [];
  for (const part of header.split(',')) {
    const [media, ...params] = part.split(';').map((p) => p.trim());
    const m = /^([a-z0-9!#$%&'*+.^_`|~-]+)\/([a-z0-9!#$%&'*+.^_`|~-]+)$/i.exec(media ?? '');
    if (!m) continue;
    let q = 1;
    for (const p of params) {
      const qm = /^q=([0-9.]+)$/i.exec(p);
      if (qm) q = Number(qm[1]);
    }
    // A malformed weight makes the range unusable rather than guessed at.
    if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    ranges.push({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), q });
  }
  return ranges;
}

/** How well `ranges` accept `mediaType`: the most specific match's quality, or 0. */
function quality(ranges: readonly Range[], mediaType: string): number {
  const [type, subtype] = mediaType.toLowerCase().split('/');
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1;
    if (specificity > best) {
      best = specificity;
      q = r.q;
    }
  }
  return best < 0 ? 0 : q;
}

/** Which of `offered` (type/subtype, default first) the Accept header prefers. */
export function preferredType<T extends string>(accept: string | null, offered: readonly [T, ...T[]]): T {
  if (!accept || !accept.trim()) return offered[0];
  const ranges = parseRanges(accept);
  let chosen = offered[0];
  let best = quality(ranges, chosen);
  for (const type of offered.slice(1)) {
    const q = quality(ranges, type);
    if (q > best) {
      chosen = type;
      best = q;
    }
  }
  // Nothing offered is acceptable: the default form rather than a 406, which helps no one here.
  return chosen;
}
