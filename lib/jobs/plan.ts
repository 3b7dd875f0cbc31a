/**
 * What a generate request becomes: the job's kind, its storyboard, and the ordered tasks the tick
 * will advance. One place decides this, so a new kind of job is a change here and a task module.
 */
import type { Config } from '../config.ts';
import { buildStoryboard, type Scene } from '../storyboard.ts';
import type { GenerateRequest, VeoSceneInput } from './request.ts';
import { TASK_KIND, type TaskKindName } from './states.ts';

export interface PlannedTask {
  kind: TaskKindName;
  input: Record<string, unknown>;
}

export interface JobPlan {
  kind: 'video';
  storyboard: Scene[];
  tasks: PlannedTask[];
}

export async function planJob(request: GenerateRequest, _config: Config): Promise<JobPlan> {
  const storyboard = buildStoryboard(request.response, {
    style: request.style,
    maxScenes: request.maxScenes,
    durationSeconds: request.durationSeconds,
    ...(request.question ? { question: request.question } : {}),
  });
  const tasks = storyboard.map((scene): PlannedTask => {
    const input: VeoSceneInput = {
      prompt: scene.prompt,
      text: scene.text,
      aspectRatio: request.aspectRatio,
      durationSeconds: scene.durationSeconds,
      ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
    };
    return { kind: TASK_KIND.veoScene, input };
  });
  return { kind: 'video', storyboard, tasks };
}
