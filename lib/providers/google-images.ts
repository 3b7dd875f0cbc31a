/**
 * Stills through `@google/genai`, for keyframes and image-only jobs. The SDK (2.x) serves Imagen's
 * `generateImages` (`:predict`) on Vertex AI only and refuses it on the Developer API, where images
 * come from a Gemini image model through `generateContent`. So: Vertex → IMAGEN_MODEL,
 * Developer API → GEMINI_IMAGE_MODEL. Either way the answer is synchronous: an image or a reason.
 */
import type { GoogleGenAI } from '@google/genai';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { log } from '../log.js';
import type { ImageRequest, ImageResult } from './types.js';
import { toAppError } from './google-client.js';

const imagenResponseSchema = z.object({
  generatedImages: z
    .array(z.object({ image: z.object({ imageBytes: z.string().optional(), mimeType: z.string().optional() }).optional(), raiFilteredReason: z.string().optional() }))
    .optional(),
});

const geminiResponseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(z.object({ inlineData: z.object({ data: z.string().optional(), mimeType: z.string().optional() }).optional() })).optional() }).optional(),
        finishReason: z.string().optional(),
        finishMessage: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
});

function badResponse(detail: string): AppError {
  return new AppError('provider_bad_response', `The image model returned an answer this service cannot read: ${detail}`, { status: 502, retryable: true });
}

function safety(reason: string | undefined): ImageResult {
  const words = reason?.trim();
  return { failure: { code: 'safety_filtered', message: words ? `The image model's safety filter blocked the still: ${words}` : "The image model's safety filter blocked the still (Google gave no reason)" } };
}

async function viaImagen(ai: GoogleGenAI, model: string, request: ImageRequest, extra: object): Promise<ImageResult> {
  const response = await ai.models.generateImages({
    model,
    prompt: request.prompt,
    config: { numberOfImages: 1, aspectRatio: request.aspectRatio, includeRaiReason: true, ...extra },
  });
  const parsed = imagenResponseSchema.safeParse(response);
  if (!parsed.success) throw badResponse(parsed.error.message);
  const images = parsed.data.generatedImages ?? [];
  const image = images.find((g) => g.image?.imageBytes)?.image;
  if (image?.imageBytes) return { image: { bytesBase64: image.imageBytes, mimeType: image.mimeType ?? 'image/png' } };
  const filtered = images.find((g) => g.raiFilteredReason)?.raiFilteredReason;
  // Imagen answers a fully filtered prompt with no predictions at all.
  return filtered !== undefined || images.length === 0 ? safety(filtered) : { failure: { code: 'no_image', message: 'Imagen finished without returning an image' } };
}

async function viaGemini(ai: GoogleGenAI, model: string, request: ImageRequest, extra: object): Promise<ImageResult> {
  const response = await ai.models.generateContent({
    model,
    contents: request.prompt,
    config: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: request.aspectRatio }, ...extra },
  });
  const parsed = geminiResponseSchema.safeParse(response);
  if (!parsed.success) throw badResponse(parsed.error.message);
  const { candidates = [], promptFeedback } = parsed.data;
  if (promptFeedback?.blockReason) return safety(promptFeedback.blockReasonMessage ?? promptFeedback.blockReason);
  const data = candidates.flatMap((c) => c.content?.parts ?? []).find((p) => p.inlineData?.data)?.inlineData;
  if (data?.data) return { image: { bytesBase64: data.data, mimeType: data.mimeType ?? 'image/png' } };
  const stopped = candidates.find((c) => /SAFETY|PROHIBITED|BLOCKLIST/.test(c.finishReason ?? ''));
  if (stopped) return safety(stopped.finishMessage ?? stopped.finishReason);
  return { failure: { code: 'no_image', message: 'The image model finished without returning an image' } };
}

export async function generateStill(
  ai: GoogleGenAI,
  config: Config,
  backend: 'gemini' | 'vertex',
  request: ImageRequest,
  http: object,
  signal?: AbortSignal,
): Promise<ImageResult> {
  const extra = { ...(signal ? { abortSignal: signal } : {}), ...http };
  const model = backend === 'vertex' ? config.IMAGEN_MODEL : config.GEMINI_IMAGE_MODEL;
  let result: ImageResult;
  try {
    result = backend === 'vertex' ? await viaImagen(ai, model, request, extra) : await viaGemini(ai, model, request, extra);
  } catch (thrown) {
    throw toAppError(thrown, 'still', signal);
  }
  log('image_generated', { backend, model, outcome: 'image' in result ? result.image.mimeType : result.failure.code });
  return result;
}
