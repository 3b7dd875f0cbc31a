/**
 * POST /api/video/storyboard — a dry run of generate's storyboard: the same body, the same
 * planning (lib/jobs/plan.ts), and nothing recorded, started or counted against a quota. The
 * professor edits the scenes it returns and sends them back to generate as `scenes`, so a model
 * storyboard is written once and what was approved is what gets made.
 */
import { authenticate } from '../../lib/auth/request.js';
import { readJsonBody } from '../../lib/http/body.js';
import { errorResponse, httpError, json, validationError } from '../../lib/http/respond.js';
import type { storyboardResponseSchema } from '../../lib/jobs/schemas.js';
import { draftStoryboard } from '../../lib/jobs/plan.js';
import { generateRequestSchema } from '../../lib/jobs/generate-request.js';
import { services } from '../../lib/services.js';
import type { z } from 'zod';

export async function POST(request: Request): Promise<Response> {
  try {
    const { config, verifier } = services();
    await authenticate(request, verifier);
    const parsed = generateRequestSchema(config).safeParse(await readJsonBody(request));
    if (!parsed.success) throw validationError(parsed.error, 'storyboard request');
    if (parsed.data.kind === 'variations') {
      throw httpError(400, 'invalid_request', 'Invalid storyboard request: kind', { kind: "a variations job has no storyboard: it varies another job's video" });
    }
    const draft = await draftStoryboard(parsed.data, config);
    const payload: z.infer<typeof storyboardResponseSchema> = { scenes: draft.storyboard, storyboardSource: draft.storyboardSource, storyboardNote: draft.storyboardNote };
    return json(payload);
  } catch (err) {
    return errorResponse(err);
  }
}
