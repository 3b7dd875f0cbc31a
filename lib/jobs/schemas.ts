/**
 * The JSON the endpoints answer with, as zod schemas: the handlers' responses are typed by them,
 * the tests parse real responses with them, and lib/openapi.ts turns them into the OpenAPI
 * document. Request schemas live beside the code that uses them (lib/jobs/generate-request.ts,
 * lib/jobs/list.ts, lib/jobs/idempotency.ts) and are shared the same way.
 */
import { z } from 'zod';
import { KINDS } from '../kinds/registry.js';
import type { JobView } from './view.js';
import { STATUS } from '../states.js';

export const statusSchema = z.enum(Object.values(STATUS) as [string, ...string[]]);

const isoDate = z.iso.datetime({ offset: true });

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional().meta({ description: 'Each bad field (or header, or query parameter) and what is wrong with it.' }),
    }),
  });

export const generateResponseSchema = z
  .object({
    jobId: z.uuid(),
    escalationId: z.uuid(),
    status: statusSchema,
    units: z.number().int().meta({ description: 'How many of what the job is counted in it makes: scenes (a video job), stills (an image job) or variations, as `unit` says.' }),
    unit: z.string().meta({ description: `What \`units\` counts: ${KINDS.jobs.map((j) => `"${j.unit.noun[0]}"`).join(', ')}.` }),
    scenes: z.number().int().meta({ description: 'The same number as `units`, under the name it had before image and variation jobs; prefer `units`.', deprecated: true }),
    statusUrl: z.url(),
    existing: z.boolean().meta({ description: 'True when an earlier job was returned (an active job on the escalation, or an Idempotency-Key replay).' }),
  });

export const batchResponseSchema = z
  .object({
    items: z.array(generateResponseSchema).meta({ description: 'One result per request, in the order sent.' }),
  });

export const storyboardResponseSchema = z.object({
  scenes: z
    .array(z.object({ index: z.number().int(), text: z.string(), prompt: z.string(), durationSeconds: z.number() }))
    .meta({ description: 'The scenes generate would make, in order; send their (edited) texts back as generate\'s `scenes`.' }),
  storyboardSource: z.enum(['splitter', 'model']),
  storyboardNote: z.string().nullable().meta({ description: 'Why a requested model storyboard was not used, or how much of a long answer reaches no prompt.' }),
});

export const sceneViewSchema = z
  .object({
    index: z.number().int().meta({ description: 'The scene, still or variation the task works on (for a scene, its storyboard index); the task position for the final cut.' }),
    kind: z.string().meta({ description: 'veo_scene, imagen_still, render or variation.' }),
    label: z.string(),
    status: statusSchema,
    progress: z.number().int().min(0).max(100),
    description: z.string().nullable(),
    text: z.string().nullable(),
    url: z.string().nullable().meta({ description: 'Signed (or public) URL of the scene video, fresh on every read.' }),
    bytes: z.number().nullable(),
    error: z.string().nullable(),
    errorCode: z.string().nullable(),
    attempts: z.number().int(),
    provider: z.string().nullable().meta({ description: 'Who makes (or made) this clip or still: veo, luma or local; null for local work (final cut, variations).' }),
    durationSeconds: z.number().int().nullable().meta({ description: "A scene's clip length in seconds; null for other tasks." }),
    note: z.string().nullable().meta({ description: 'Something the professor should know about this scene, such as a clip length changed because a retry moved it to a provider that does not make the one asked for.' }),
    startedAt: isoDate.nullable(),
    completedAt: isoDate.nullable(),
    nextCheckAt: isoDate.nullable(),
  });

export const jobViewSchema = z
  .object({
    id: z.uuid(),
    escalationId: z.uuid(),
    ownerId: z.string().nullable(),
    kind: z.string(),
    status: statusSchema,
    progress: z.number().int().min(0).max(100),
    currentStep: z.string(),
    videoUrl: z.string().nullable(),
    posterUrl: z.string().nullable().meta({ description: "The final cut's poster JPEG (video jobs) or the first still (image jobs)." }),
    error: z.string().nullable(),
    request: z.record(z.string(), z.unknown()).meta({ description: 'The validated generate request.' }),
    storyboard: z.array(z.object({ index: z.number().int(), text: z.string(), prompt: z.string(), durationSeconds: z.number() })),
    storyboardSource: z.enum(['splitter', 'model']),
    storyboardNote: z.string().nullable().meta({ description: 'Why a requested model storyboard was not used.' }),
    priority: z.enum(['high', 'normal', 'low']).meta({ description: "Orders this professor's own waiting scenes (fair share across professors comes first)." }),
    provider: z.string().nullable().meta({ description: 'The provider the job asked for (a retry may move failed scenes to another; each scene says its own). Null for variations jobs and jobs from before providers were chosen.' }),
    queuePosition: z.number().int().min(0).nullable().meta({
      description: 'How many startable scenes, of every professor, start before this job\'s first waiting scene: those ahead of it in the start order (round-robin across professors counting what each already runs, then priority, oldest job, scene order), less those held by a provider\'s own cap or pause while this one starts, plus those after it that start first because its own provider is full or paused. Null when none of its scenes waits to start.',
    }),
    estimatedStartAt: isoDate.nullable().meta({
      description: 'When the first waiting scene should start: MAX_IN_FLIGHT slots, each running one operation for D = the median duration (created → noticed done) of the last 50 completed operations (60 s before any), a running one freeing its slot D after it started; the scene with k ahead takes the (k mod cap)-th slot to free, floor(k / cap) operations later. With a provider\'s own cap (MAX_IN_FLIGHT_LUMA, MAX_IN_FLIGHT_VEO) or a paused provider, the claim is played forward instead: each free slot goes to the first waiting scene whose provider has room. Null when nothing waits.',
    }),
    estimatedCompletedAt: isoDate.nullable().meta({
      description: "When an active job should finish: its last operation's estimated end (as above), plus the median duration of its other active tasks (final cut, variations). Null once the job is final.",
    }),
    scenes: z.array(sceneViewSchema),
    createdAt: isoDate,
    updatedAt: isoDate,
    startedAt: isoDate.nullable(),
    completedAt: isoDate.nullable(),
    lastCheckedAt: isoDate.nullable().meta({
      description: "When the poller last looked at one of the job's tasks (each poll of a Veo operation counts), so a long job shows it is alive; the job's updatedAt changes only when something it shows changes.",
    }),
  });

/** A job in a list: the view's headline fields, with the scene count instead of the scenes. */
export const jobSummarySchema = jobViewSchema
  .pick({
    id: true,
    escalationId: true,
    ownerId: true,
    kind: true,
    status: true,
    progress: true,
    currentStep: true,
    priority: true,
    queuePosition: true,
    estimatedStartAt: true,
    estimatedCompletedAt: true,
    videoUrl: true,
    error: true,
    createdAt: true,
    updatedAt: true,
    completedAt: true,
  })
  .extend({
    title: z.string().meta({ description: "The student's question, else the opening of the answer (at most 200 characters)." }),
    posterUrl: jobViewSchema.shape.posterUrl,
    scenes: z.number().int().meta({ description: 'How many scenes (stills, variations) the job makes.' }),
  });

export const jobListSchema = z
  .object({
    jobs: z.array(jobSummarySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  });

export type JobSummary = z.infer<typeof jobSummarySchema>;
export type JobList = z.infer<typeof jobListSchema>;

// The schema and lib/jobs/view.ts's JobView must describe the same object: this fails to
// compile the moment either changes alone.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ViewKeys = keyof JobView;
type SchemaKeys = keyof z.infer<typeof jobViewSchema>;
export const jobViewMatchesSchema: Same<ViewKeys, SchemaKeys> = true;
