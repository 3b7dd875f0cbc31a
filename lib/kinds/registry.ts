/**
 * The task and job kinds this deployment knows, as descriptors (./types.ts). Adding a task kind:
 * its descriptor in this folder, listed here; its `advance` in lib/tasks/ (registered in
 * lib/tasks/registry.ts); the `kind` CHECK widened in a migration. Nothing in lib/jobs/ changes.
 */
import { imagenStillKind } from './imagen-still.js';
import { imageJobKind, variationsJobKind, videoJobKind } from './job-kinds.js';
import { renderKind } from './render.js';
import { defineKinds } from './table.js';
import { variationKind } from './variation.js';
import { veoSceneKind } from './veo-scene.js';

/** Scenes first: a task row without a kind is a scene, a job of an unknown kind a video. */
export const TASK_KIND_DESCRIPTORS = Object.freeze([veoSceneKind, imagenStillKind, renderKind, variationKind]);
export const JOB_KIND_DESCRIPTORS = Object.freeze([videoJobKind, imageJobKind, variationsJobKind]);

export const KINDS = defineKinds(TASK_KIND_DESCRIPTORS, JOB_KIND_DESCRIPTORS);
