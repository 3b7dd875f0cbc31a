/**
 * What each kind of job is counted in and delivers, in terms of the task kinds (what tasks a job
 * kind is planned into is lib/jobs/plan.ts).
 *
 *   video       counted in scenes; delivers its final cut, or (that failed) its first scene
 *   image       counted in stills; delivers its first still, as the poster
 *   variations  counted in variations; delivers the first one
 */
import { JOB_KIND } from '../states.js';
import { imagenStillKind } from './imagen-still.js';
import { renderKind } from './render.js';
import type { JobKindDescriptor } from './types.js';
import { variationKind } from './variation.js';
import { veoSceneKind } from './veo-scene.js';

export const videoJobKind: JobKindDescriptor<typeof JOB_KIND.video> = { kind: JOB_KIND.video, unit: veoSceneKind, delivers: [renderKind, veoSceneKind] };
export const imageJobKind: JobKindDescriptor<typeof JOB_KIND.image> = { kind: JOB_KIND.image, unit: imagenStillKind, delivers: [imagenStillKind] };
export const variationsJobKind: JobKindDescriptor<typeof JOB_KIND.variations> = { kind: JOB_KIND.variations, unit: variationKind, delivers: [variationKind] };
