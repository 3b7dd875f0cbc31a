/**
 * A storyboard written by a Gemini text model: the answer goes in, structured JSON comes out
 * (scene text, visual prompt, seconds), validated with zod. Called from lib/jobs/plan.ts while the
 * generate request waits, so it is bounded by STORYBOARD_TIMEOUT_MS; any failure (no key, timeout,
 * HTTP error, malformed JSON, too many scenes) throws, and the caller falls back to the
 * deterministic splitter and says why on the job.
 *
 * Why in the request and not a task kind: the scene count decides the job's task list, which is
 * written with the job in one transaction (lib/jobs/create.ts). A storyboard task would have to
 * insert tasks from inside the tick, and progress ("scene 3/5") would change its denominator.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { clientOptions, loadGenAI, toAppError } from './google-client.js';

export interface ModelScene {
  text: string;
  visualPrompt: string;
  seconds: number;
}

export interface StoryboardAsk {
  response: string;
  question?: string;
  style: string;
  maxScenes: number;
  /** The durations Veo accepts; the model's seconds are snapped to the nearest. */
  durations: number[];
}

const MAX_VISUAL_PROMPT_CHARS = 1200;

export const modelStoryboardSchema = z.object({
  scenes: z
    .array(
      z.object({
        text: z.string().trim().min(1).max(2000),
        visualPrompt: z.string().trim().min(1).max(MAX_VISUAL_PROMPT_CHARS),
        seconds: z.number().positive().max(60),
      }),
    )
    .min(1),
});

/** The JSON schema the model is held to; zod checks the answer again, since a model may drift. */
const RESPONSE_JSON_SCHEMA = {
  type: 'object',
  properties: {
    scenes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          text: { type: 'string', description: 'The part of the answer this scene explains, in the answer’s language' },
          visualPrompt: { type: 'string', description: 'What the camera shows: subject, action, setting, style; no on-screen text' },
          seconds: { type: 'number', description: 'Scene length in seconds' },
        },
        required: ['text', 'visualPrompt', 'seconds'],
      },
    },
  },
  required: ['scenes'],
};

function instructions(ask: StoryboardAsk): string {
  return [
    `You storyboard short educational explainer videos. Split the professor's answer below into at most ${ask.maxScenes} scenes, in order, covering all of it.`,
    `Each scene is one video clip of ${ask.durations.join(', ')} seconds. Style: ${ask.style}. Keep the same subject, palette and setting across scenes.`,
    ask.question ? `The student's question: ${ask.question}` : '',
    `The answer:\n${ask.response}`,
  ].filter(Boolean).join('\n\n');
}

function nearest(durations: number[], seconds: number): number {
  return durations.reduce((best, d) => (Math.abs(d - seconds) < Math.abs(best - seconds) ? d : best), durations[0]!);
}

export async function writeModelStoryboard(config: Config, ask: StoryboardAsk, options: { fetch?: typeof fetch } = {}): Promise<ModelScene[]> {
  const signal = AbortSignal.timeout(config.STORYBOARD_TIMEOUT_MS);
  const { GoogleGenAI } = await loadGenAI();
  const ai = new GoogleGenAI(clientOptions(config, options.fetch));
  let text: string | undefined;
  try {
    const response = await ai.models.generateContent({
      model: config.STORYBOARD_MODEL,
      contents: instructions(ask),
      config: {
        responseMimeType: 'application/json',
        responseJsonSchema: RESPONSE_JSON_SCHEMA,
        abortSignal: signal,
        httpOptions: { timeout: config.STORYBOARD_TIMEOUT_MS },
      },
    });
    text = response.text;
  } catch (thrown) {
    throw toAppError(thrown, 'storyboard', signal);
  }
  if (!text) throw new AppError('provider_bad_response', 'the model returned no text');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('provider_bad_response', 'the model did not return valid JSON');
  }
  const parsed = modelStoryboardSchema.safeParse(json);
  if (!parsed.success) throw new AppError('provider_bad_response', `the model's storyboard did not validate: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const scenes = parsed.data.scenes;
  if (scenes.length > ask.maxScenes) throw new AppError('provider_bad_response', `the model wrote ${scenes.length} scenes, more than the ${ask.maxScenes} asked for`);
  return scenes.map((s) => ({ ...s, seconds: nearest(ask.durations, s.seconds) }));
}
