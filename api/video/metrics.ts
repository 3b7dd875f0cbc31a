/**
 * GET /api/video/metrics?ticks= — the operator's view of the queue: depth, Veo operations in
 * flight, the oldest waiting scene, Veo latency, failures by reason, the latest ticks, and the
 * kill switch (lib/ops/metrics.ts). JSON by default; Prometheus text when the Accept header
 * prefers text/plain, so a scraper can read it with the service-role key as its bearer token.
 */
import { authenticate, requireAdmin } from '../../lib/auth/request.js';
import { preferredType } from '../../lib/http/accept.js';
import { errorResponse, json } from '../../lib/http/respond.js';
import { readMetrics } from '../../lib/ops/metrics.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../lib/ops/prometheus.js';
import { parseMetricsQuery } from '../../lib/ops/schema.js';
import { services } from '../../lib/services.js';

export async function GET(request: Request): Promise<Response> {
  try {
    const { db, config, verifier } = services();
    // Who asks comes first: a stranger learns nothing, not even which parameters are wrong.
    requireAdmin(await authenticate(request, verifier));
    const query = parseMetricsQuery(new URL(request.url).searchParams);
    const metrics = await readMetrics(db, config, { ticks: query.ticks });
    // Caches between here and the client must keep the two forms apart.
    const headers = { vary: 'accept' };
    if (preferredType(request.headers.get('accept'), ['application/json', 'text/plain']) === 'text/plain') {
      return new Response(renderPrometheus(metrics), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store', ...headers } });
    }
    return json(metrics, 200, headers);
  } catch (err) {
    return errorResponse(err);
  }
}
