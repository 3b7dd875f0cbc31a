/**
 * What a generate request becomes: the job's kind, its storyboard, and the ordered tasks the tick
 * will advance. One place decides this, so a new kind of job is a change here and a task module.
 *
 *   video       [keyframe still × n] → Veo scene × n → render (final cut + poster) → [variation × v]
 *   image       still × n
 *   variations  variation × v of another completed job's final video
 *
 * Positions are the order above; a task that needs others lists their positions in `waitsFor`.
 */
import { randomInt } from 'node:crypto';
import type { Caller } from '../auth/jwt.js';
import { assertOwner } from '../auth/owner.js';
import type { Config } from '../config.js';
import type { Queryable } from '../db/pool.js';
import { coerceError } from '../errors.js';
import { httpError } from '../http/respond.js';
import { log } from '../log.js';
import { writeModelStoryboard } from '../providers/storyboard-model.js';
import { promptShortfall, scenePrompt, splitText, storyboardFrom, type Scene, type StoryboardOptions } from '../storyboard.js';
import type { GenerateRequest } from './generate-request.js';
import type { VideoProviderName } from '../model-limits.js';
import { KINDS } from '../kinds/registry.js';
import { JOB_KIND, STATUS, TASK_KIND, type JobKindName, type TaskKindName } from '../states.js';
import type { ImagenStillInput, VariationInput, VeoSceneInput } from './task-inputs.js';

export interface PlannedTask {
  kind: TaskKindName;
  input: Record<string, unknown>;
  /**
   * The provider a paid task starts on, chosen when planned so the claim can hold each provider
   * to its own cap; the operation it starts is then polled by the same one.
   */
  provider?: VideoProviderName;
}

export interface JobPlan {
  kind: JobKindName;
  storyboard: Scene[];
  tasks: PlannedTask[];
  /** How many of what the job is counted in it makes: scenes, stills or variations (lib/kinds/job-kinds.ts). */
  units: number;
  storyboardSource: 'splitter' | 'model';
  /** Why a requested model storyboard was not used, when it was not. */
  storyboardNote: string | null;
}

export interface PlanContext {
  db?: Queryable;
  caller?: Caller;
}

/** Variations made when a variations job names no count. */
const DEFAULT_VARIATIONS = 3;

/**
 * SQL for a job's unit count (scenes, stills or variations), with `j` the video_jobs row: the
 * tasks of the kind that job kind is counted in (lib/kinds/job-kinds.ts), so renders and
 * keyframes do not count as scenes. Built from the job-kind table (the names are constants); a job
 * of a kind it does not list counts as the default, the first.
 */
export const UNIT_COUNT_SQL = `(select count(*) from video_tasks t where t.job_id = j.id and t.kind = case j.kind
  ${KINDS.jobs.map((j) => `when '${j.kind}' then '${j.unit.kind}'`).join(' ')}
  else '${KINDS.jobs[0]!.unit.kind}' end)::int`;

interface Board extends Pick<JobPlan, 'storyboard' | 'storyboardSource' | 'storyboardNote'> {
  /** What each scene shows (its text, or the model's visual prompt): stills are prompted from it too. */
  visuals: string[];
  options: StoryboardOptions;
}

/** Said on the job when the answer is longer than its scenes' prompts hold, rather than cut silently. */
function shortfallNote(storyboard: Scene[], options: StoryboardOptions): string | null {
  const lost = storyboard.reduce((n, s) => n + promptShortfall(s.text, s.index, storyboard.length, options), 0);
  if (lost === 0) return null;
  const total = storyboard.reduce((n, s) => n + s.text.length, 0);
  return `The answer is longer than ${storyboard.length} clip prompt${storyboard.length === 1 ? '' : 's'} can hold: about ${lost} of its ${total} characters reach no prompt (more maxScenes, or a shorter answer, keeps them)`;
}

/** What a storyboard preview shows, and a job records: the scenes and who wrote them. */
export type StoryboardDraft = Pick<JobPlan, 'storyboard' | 'storyboardSource' | 'storyboardNote'>;

/**
 * The storyboard a request becomes, exactly as generate would record it, and nothing written:
 * POST /api/video/storyboard shows it before anything is paid for.
 */
export async function draftStoryboard(request: GenerateRequest, config: Config): Promise<StoryboardDraft> {
  const { storyboard, storyboardSource, storyboardNote } = await storyboardFor(request, config);
  return { storyboard, storyboardSource, storyboardNote };
}

async function storyboardFor(request: GenerateRequest, config: Config): Promise<Board> {
  const options: StoryboardOptions = {
    style: request.style,
    maxScenes: request.maxScenes,
    durationSeconds: request.durationSeconds,
    ...(request.question ? { question: request.question } : {}),
  };
  // The scenes the professor approved in the preview are made as written: no split, and no
  // second model call for a model storyboard already drafted.
  if (request.scenes) {
    const storyboard = storyboardFrom(request.scenes.map((s) => s.text.trim()), options);
    return { storyboard, storyboardSource: request.storyboard, storyboardNote: null, visuals: storyboard.map((s) => s.text), options };
  }
  const split = (note: string | null = null): Board => {
    const pieces = splitText(request.response, options.maxScenes);
    const storyboard = storyboardFrom(pieces, options);
    // Emoji or punctuation alone give the splitter nothing to film: say what was filmed instead.
    const empty = pieces.length === 0
      ? `The answer has no words or numbers to show, so the scene shows ${request.question?.trim() ? 'the question' : 'a general introduction'}`
      : null;
    const said = [note, empty, shortfallNote(storyboard, options)].filter(Boolean).join('. ');
    return { storyboard, storyboardSource: 'splitter', storyboardNote: said || null, visuals: storyboard.map((s) => s.text), options };
  };
  if (request.storyboard !== 'model') return split();
  if (!config.google) return split('A model storyboard needs a Google key (and MOCK_MODE off); the deterministic splitter wrote this one');
  try {
    const scenes = await writeModelStoryboard(config, {
      response: request.response,
      ...(request.question ? { question: request.question } : {}),
      style: request.style,
      maxScenes: request.maxScenes,
      // The clip length is the caller's (or its default), not the model's to choose: it is what Veo bills.
      durations: [request.durationSeconds],
    });
    const storyboard = scenes.map((s, index) => ({
      index,
      text: s.text,
      prompt: scenePrompt(s.visualPrompt, index, scenes.length, options),
      durationSeconds: request.durationSeconds,
    }));
    return { storyboard, storyboardSource: 'model', storyboardNote: null, visuals: scenes.map((s) => s.visualPrompt), options };
  } catch (thrown) {
    const reason = coerceError(thrown).message;
    log('storyboard_model_fallback', { error: reason });
    return split(`The model storyboard failed (${reason}); the deterministic splitter wrote this one`);
  }
}

/** A variations job's source must be the caller's own completed job with a final video. */
async function assertSource(request: GenerateRequest, context: PlanContext): Promise<void> {
  if (!context.db || !context.caller || !request.sourceJobId) return;
  const { rows } = await context.db.query<{ owner_id: string | null; status: string; video_path: string | null }>(
    `select owner_id, status, video_path from video_jobs where id = $1`,
    [request.sourceJobId],
  );
  const source = rows[0];
  if (!source) throw httpError(404, 'not_found', 'No job with this id', { sourceJobId: 'no job with this id' });
  assertOwner(context.caller, source.owner_id, 'job', 'sourceJobId');
  if (source.status !== STATUS.completed || !source.video_path) {
    throw httpError(409, 'source_not_ready', 'The source job has no finished video yet', { sourceJobId: `job is ${source.status} and has no finished video` });
  }
}

function variationTasks(count: number, seed: number, from: { sourceJobId: string } | { waitsFor: number[] }): PlannedTask[] {
  return Array.from({ length: count }, (_, index): PlannedTask => {
    const input: VariationInput = { index, count, seed, ...from };
    return { kind: TASK_KIND.variation, input };
  });
}

function stillTask(scene: Scene, board: Board, request: GenerateRequest, purpose: 'still' | 'keyframe', config: Config): PlannedTask {
  const lead = purpose === 'keyframe' ? 'The opening frame of this scene, as one still image' : 'One still illustration';
  const input: ImagenStillInput = {
    // The lead and the style cues are kept whole; only what the scene shows is shortened to fit.
    prompt: scenePrompt(board.visuals[scene.index] ?? scene.text, scene.index, board.storyboard.length, board.options, lead),
    text: scene.text,
    aspectRatio: request.aspectRatio,
    scene: scene.index,
    purpose,
  };
  return { kind: TASK_KIND.imagenStill, input, ...(config.imageProvider ? { provider: config.imageProvider } : {}) };
}

export async function planJob(request: GenerateRequest, config: Config, context: PlanContext = {}): Promise<JobPlan> {
  const seed = request.variationSeed ?? randomInt(0, 2 ** 32 - 1);
  if (request.kind === JOB_KIND.variations) {
    await assertSource(request, context);
    const count = request.variations ?? DEFAULT_VARIATIONS;
    const tasks = variationTasks(count, seed, { sourceJobId: request.sourceJobId! });
    return { kind: JOB_KIND.variations, storyboard: [], tasks, units: count, storyboardSource: 'splitter', storyboardNote: null };
  }

  const full = await storyboardFor(request, config);
  const board = { storyboard: full.storyboard, storyboardSource: full.storyboardSource, storyboardNote: full.storyboardNote };
  const scenes = board.storyboard;
  if (request.kind === JOB_KIND.image) {
    return { kind: JOB_KIND.image, ...board, tasks: scenes.map((s) => stillTask(s, full, request, 'still', config)), units: scenes.length };
  }

  const tasks: PlannedTask[] = request.keyframes ? scenes.map((s) => stillTask(s, full, request, 'keyframe', config)) : [];
  const firstScene = tasks.length;
  for (const scene of scenes) {
    const keyframe = request.keyframes ? { image: { position: scene.index }, waitsFor: [scene.index] } : {};
    const input: VeoSceneInput = {
      prompt: scene.prompt,
      text: scene.text,
      aspectRatio: request.aspectRatio,
      durationSeconds: scene.durationSeconds,
      scene: scene.index,
      ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
      ...keyframe,
    };
    tasks.push({ kind: TASK_KIND.veoScene, input, provider: request.provider });
  }
  const renderAt = tasks.length;
  tasks.push({ kind: TASK_KIND.render, input: { waitsFor: scenes.map((_, i) => firstScene + i) } });
  if (request.variations) tasks.push(...variationTasks(request.variations, seed, { waitsFor: [renderAt] }));
  return { kind: JOB_KIND.video, ...board, tasks, units: scenes.length };
}
