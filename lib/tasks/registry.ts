/**
 * The task kinds the tick knows. Adding a kind: its descriptor in lib/kinds/ (listed in
 * lib/kinds/registry.ts), its module here (the descriptor plus `advance`), added below, and the
 * `kind` CHECK widened in a migration. lib/tasks/registry.test.ts checks the two lists agree.
 */
import type { Config } from '../config.js';
import type { QueueOptions } from '../jobs/queue.js';
import type { TaskKindName } from '../states.js';
import { imagenStill } from './imagen-still.js';
import { render } from './render.js';
import type { TaskKind } from './types.js';
import { variation } from './variation.js';
import { veoScene } from './veo-scene.js';

/** Each kind module: its descriptor (lib/kinds/) and its `advance`, in the descriptors' order. */
export const TASK_KINDS: ReadonlyMap<TaskKindName, TaskKind> = new Map(
  [veoScene, imagenStill, render, variation].map((k): [TaskKindName, TaskKind] => [k.kind, k]),
);

/** Kinds whose start opens a paid provider operation (quota, kill switch). */
export const PROVIDER_KINDS: readonly string[] = [...TASK_KINDS.values()].filter((k) => k.usesProvider).map((k) => k.kind);

/** What the job view and list measure queue positions against (lib/jobs/queue.ts). */
export function startQueueOptions(config: Pick<Config, 'MAX_IN_FLIGHT' | 'inFlightCaps'>): QueueOptions {
  return { maxInFlight: config.MAX_IN_FLIGHT, startKinds: PROVIDER_KINDS, providerCaps: config.inFlightCaps };
}
