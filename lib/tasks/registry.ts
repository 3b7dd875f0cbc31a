/**
 * The task kinds the tick knows. Adding a kind: write its module, add it here, and widen the
 * `kind` CHECK in a migration.
 */
import type { TaskKindName } from '../jobs/states.ts';
import { imagenStill } from './imagen-still.ts';
import { render } from './render.ts';
import type { TaskKind } from './types.ts';
import { variation } from './variation.ts';
import { veoScene } from './veo-scene.ts';

export const TASK_KINDS: ReadonlyMap<TaskKindName, TaskKind> = new Map(
  [veoScene, imagenStill, render, variation].map((k): [TaskKindName, TaskKind] => [k.kind, k]),
);

/** Kinds whose start opens a paid provider operation (quota, kill switch). */
export const PROVIDER_KINDS: readonly string[] = [...TASK_KINDS.values()].filter((k) => k.usesProvider).map((k) => k.kind);
