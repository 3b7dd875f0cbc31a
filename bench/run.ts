/**
 * `npm run bench`: every figure in one run, printed as a table and written to
 * BENCHMARKS.md with their targets and the machine. Not part of `npm test`.
 * `npm run bench -- claim memory` runs only the named figures (and does not rewrite the file).
 */
import { claimCost } from './claim-cost.js';
import { coldImport } from './cold-import.js';
import { fairShare } from './fair-share.js';
import { firstCreate } from './first-create.js';
import { fairShareCost } from './fair-share-cost.js';
import { lumaNotice } from './luma-notice.js';
import { memory } from './memory.js';
import { notice } from './notice.js';
import { report } from './report.js';
import { startServer } from './support.js';
import { throughput } from './throughput.js';
import { setLogSilent } from '../lib/log.js';

setLogSilent(true);
const only = process.argv.slice(2);
const wants = (name: string) => only.length === 0 || only.includes(name);

const server = await startServer();
const results: Parameters<typeof report>[0] = {};
try {
  if (wants('cold')) results.cold = await coldImport();
  if (wants('memory')) results.memory = await memory(server);
  if (wants('throughput')) results.throughput = await throughput(server);
  if (wants('claim')) results.claim = await claimCost(server);
  if (wants('fair-claim')) results.fairClaim = await fairShareCost(server);
  if (wants('fairness')) results.fairShare = await fairShare(server);
  if (wants('notice')) results.notice = await notice(server);
  if (wants('first-create')) results.firstCreate = await firstCreate(server);
  if (wants('luma-notice')) results.lumaNotice = await lumaNotice(server);
} finally {
  await server.close();
}
await report(results, { write: only.length === 0 });
