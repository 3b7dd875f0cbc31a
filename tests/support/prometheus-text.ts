/**
 * A strict reader of Prometheus' text exposition format 0.0.4, for the tests: every line a HELP,
 * a TYPE, or a sample of the family its HELP and TYPE announced just before, label values
 * unescaped. What a scraper would reject throws here.
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Parsed {
  families: Map<string, { help: string; type: string }>;
  samples: ParsedSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;

function unescape(value: string): string {
  return value.replace(/\\([\\"n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses exposition text, throwing on anything the 0.0.4 format does not allow. */
export function parseExposition(text: string): Parsed {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line must end with a line feed');
  const families = new Map<string, { help: string; type: string }>();
  const samples: ParsedSample[] = [];
  let current: string | undefined;
  const done = new Set<string>();
  for (const line of text.split('\n').slice(0, -1)) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (help) {
      if (families.has(help[1]!)) throw new Error(`HELP twice for ${help[1]}`);
      if (current) done.add(current);
      current = help[1]!;
      families.set(current, { help: unescape(help[2]!), type: '' });
      continue;
    }
    if (type) {
      const family = current === undefined ? undefined : families.get(current);
      if (type[1] !== current || !family || family.type) throw new Error(`TYPE out of place: ${line}`);
      family.type = type[2]!;
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    if (m[1] !== current || done.has(m[1]!) || !families.get(m[1]!)?.type) throw new Error(`sample of ${m[1]} outside its family`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[2].length) {
        const l = LABEL.exec(m[2]);
        if (!l) throw new Error(`bad labels: ${m[2]}`);
        if (l[1]! in labels) throw new Error(`label ${l[1]} twice`);
        labels[l[1]!] = unescape(l[2]!);
      }
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]!.replace('Inf', 'Infinity')) });
  }
  return { families, samples };
}

/** The one sample of `name` whose labels include `labels`. */
export function sampleOf(parsed: Parsed, name: string, labels: Record<string, string> = {}): number {
  const found = parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}
