/**
 * What a Luma failure reason means for a scene. Luma's reference (docs.lumalabs.ai/docs/errors)
 * lists the `failure_reason` of a failed generation: moderation ("Contains blacklisted words",
 * "Frame moderation failed", "Advanced prompt moderation failed", and "Failed to read user input
 * frames", which it files under moderation though it means its servers could not fetch the
 * keyframe), the prompt ("Prompt processing failed") and the job ("Error dispatching job", "Job
 * failed", "Error processing callback"). A create can also be refused with "failed to moderate
 * image", which a public report traced to a keyframe URL Luma could not fetch, not to the image.
 *
 * Pure, so each wording is tested beside it; lib/providers/luma.ts applies it to a failed
 * generation (poll) and to a refused create.
 */

/**
 * `refused`: Luma's moderation judged the content; `unreadable`: the keyframe never reached that
 * judgement (a new start signs a fresh link, so another try may get through); `failed`: anything else.
 */
export type LumaReasonKind = 'refused' | 'unreadable' | 'failed';

export interface LumaReasonReading {
  kind: LumaReasonKind;
  code: 'safety_filtered' | 'provider_rejected' | 'provider_error';
  /** What happened in plain words, ending with Luma's own. */
  message: string;
  /**
   * A failure Luma's reference puts on its own side (a keyframe its servers could not fetch, its
   * prompt system or job servers failing): a new generation may get past it, and Luma refunds a
   * failed one. Not a refusal, and not a reason the reference does not list.
   */
  restartable: boolean;
}

interface Rule {
  match: RegExp;
  kind: LumaReasonKind;
  /** What Luma did, before its own words. */
  says: string;
}

const REFUSED = "Luma's moderation refused the video:";
const UNREADABLE = "this is not a content refusal, and a new generation sends Luma a fresh link to the image";

/**
 * First match wins. The keyframe rules come before the moderation ones: "failed to moderate image"
 * says "moderate" but is no verdict on the image.
 */
const RULES: readonly Rule[] = [
  {
    match: /failed to read user input frames/i,
    kind: 'unreadable',
    says: `Luma could not fetch the scene's keyframe image from its Storage link, so it made no video; ${UNREADABLE}`,
  },
  {
    match: /failed to moderate image/i,
    kind: 'unreadable',
    says: `Luma could not check the scene's keyframe image, most likely because it could not fetch it from its Storage link; ${UNREADABLE}`,
  },
  { match: /blacklisted words/i, kind: 'refused', says: `${REFUSED} the scene's prompt contains words Luma does not accept` },
  { match: /advanced prompt moderation failed/i, kind: 'refused', says: `${REFUSED} its language check judged the scene's prompt unsuitable` },
  { match: /frame moderation failed/i, kind: 'refused', says: `${REFUSED} its image check judged the scene's keyframe image unsuitable` },
  // Wording the reference does not list but that is plainly about moderation.
  { match: /moderat|content polic|not allowed|inappropriate|nsfw|safety|blacklist/i, kind: 'refused', says: `${REFUSED} it judged the scene's prompt or keyframe image unsuitable` },
  // "Our language system ran into issues processing the prompt": trouble on Luma's side, not a verdict on the prompt.
  { match: /prompt processing failed/i, kind: 'failed', says: "Luma could not make the video: its prompt system ran into a problem on Luma's side; a retry may work" },
  // The reference's job section: Luma's dispatcher, GPU server or job server failed.
  { match: /error dispatching job|job failed|error processing callback/i, kind: 'failed', says: "Luma could not make the video: its servers failed the job on Luma's side; a retry may work" },
];

const CODES: Record<LumaReasonKind, LumaReasonReading['code']> = { refused: 'safety_filtered', unreadable: 'provider_rejected', failed: 'provider_error' };

/** Reads a failure reason: a failed generation's `failure_reason`, or a refused create's `detail`. */
export function readLumaReason(reason: string | null | undefined): LumaReasonReading {
  const said = reason?.trim() ?? '';
  if (!said) return { kind: 'failed', code: CODES.failed, message: 'Luma could not make the video (Luma gave no reason)', restartable: false };
  const rule = RULES.find((r) => r.match.test(said));
  if (!rule) return { kind: 'failed', code: CODES.failed, message: `Luma could not make the video: ${said}`, restartable: false };
  return { kind: rule.kind, code: CODES[rule.kind], message: `${rule.says} (Luma said: "${said}")`, restartable: rule.kind !== 'refused' };
}
