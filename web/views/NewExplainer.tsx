/**
 * A new explainer in two steps: write (question, answer, options), then preview the storyboard
 * (edit or remove scenes) and generate. Every choice and limit comes from
 * GET /api/video/capabilities; what the professor approved is sent as `scenes`, so it is what
 * gets made. One Idempotency-Key per distinct request: a double click or a retry after a lost
 * answer returns the same job.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api.js';
import { loadFormLimits, offersProviders, providerChoice, withProvider, type FormLimits } from '../capabilities.js';
import { Field, Notice, Spinner } from '../components/ui.js';
import { retryWhen } from '../format.js';
import { navigate } from '../router.js';

interface FormValues {
  provider: string;
  question: string;
  response: string;
  style: string;
  aspectRatio: string;
  durationSeconds: number;
  maxScenes: number;
  keyframes: boolean;
  variations: number;
}

interface PreviewScene {
  key: number;
  text: string;
}

type Errors = Record<string, string>;


function requestBody(values: FormValues, limits: FormLimits): Record<string, unknown> {
  return {
    response: values.response,
    ...(values.question.trim() ? { question: values.question } : {}),
    // Sent only when the form offers a choice: otherwise the server's default is the only one.
    ...(offersProviders(limits) ? { provider: values.provider } : {}),
    style: values.style,
    aspectRatio: values.aspectRatio,
    durationSeconds: values.durationSeconds,
    maxScenes: values.maxScenes,
    ...(limits.keyframes && values.keyframes ? { keyframes: true } : {}),
    ...(values.variations > 0 ? { variations: values.variations } : {}),
  };
}

function Counter({ length, max }: { length: number; max: number }) {
  return (
    <span class={length > max ? 'count count-over' : 'count'}>
      {length.toLocaleString()} / {max.toLocaleString()} characters
    </span>
  );
}

export function NewExplainer({ api }: { api: Api }) {
  const [limits, setLimits] = useState<FormLimits>();
  const [loadError, setLoadError] = useState<string>();
  const [values, setValues] = useState<FormValues>();
  const [step, setStep] = useState<'write' | 'preview'>('write');
  const [scenes, setScenes] = useState<PreviewScene[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<{ kind: 'error' | 'warning'; text: string }>();
  const [busy, setBusy] = useState<'preview' | 'generate'>();
  const keys = useRef(new Map<string, string>());
  const sending = useRef(false);
  const sceneKey = useRef(0);
  const previewHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    loadFormLimits(api).then(
      (l) => {
        setLimits(l);
        setValues((v) => v ?? { provider: l.defaultProvider, question: '', response: '', style: l.defaultStyle, aspectRatio: l.defaultAspectRatio, durationSeconds: l.defaultDuration, maxScenes: l.defaultMaxScenes, keyframes: false, variations: 0 });
      },
      (err) => {
        setLoadError(err instanceof ApiError ? err.message : 'The options could not be loaded');
      },
    );
  }, []);

  useEffect(() => {
    if (step === 'preview') previewHeading.current?.focus();
  }, [step]);

  if (loadError) return <Notice kind="error">{loadError}</Notice>;
  if (!limits || !values) return <Spinner label="Loading options…" />;

  const set = <K extends keyof FormValues>(name: K, value: FormValues[K]) => {
    setValues({ ...values, [name]: value });
    if (errors[name]) setErrors(({ [name]: _gone, ...rest }) => rest);
  };

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.status === 400 && Object.keys(err.fields).length > 0) {
      setErrors(err.fields);
      const onForm = Object.keys(err.fields).some((f) => !f.startsWith('scenes'));
      if (onForm) setStep('write');
      setProblem({ kind: 'error', text: `Please fix ${Object.keys(err.fields).length === 1 ? 'the field' : 'the fields'} marked below.` });
    } else if (err instanceof ApiError && err.status === 429) {
      const when = err.retryAfter !== undefined ? ` You can try again ${retryWhen(err.retryAfter, Date.now())}.` : '';
      setProblem({ kind: 'warning', text: `${err.message}.${when}` });
    } else if (err instanceof ApiError && err.status !== 401) {
      setProblem({ kind: 'error', text: err.message });
    } else if (!(err instanceof ApiError)) {
      setProblem({ kind: 'error', text: 'Something went wrong. Try again.' });
    }
  };

  const preview = async (event: Event) => {
    event.preventDefault();
    setBusy('preview');
    setProblem(undefined);
    setErrors({});
    try {
      const board = await api.request<{ scenes: Array<{ text: string }>; storyboardNote: string | null }>('/api/video/storyboard', { method: 'POST', body: requestBody(values, limits) });
      setScenes(board.scenes.map((s) => ({ key: ++sceneKey.current, text: s.text })));
      setNote(board.storyboardNote);
      setStep('preview');
    } catch (err) {
      fail(err);
    } finally {
      setBusy(undefined);
    }
  };

  const generate = async () => {
    // Two clicks land before the button re-renders as disabled: the second must not send again.
    if (sending.current) return;
    sending.current = true;
    const body = { ...requestBody(values, limits), scenes: scenes.map((s) => ({ text: s.text })) };
    const text = JSON.stringify(body);
    let key = keys.current.get(text);
    if (!key) keys.current.set(text, (key = crypto.randomUUID()));
    setBusy('generate');
    setProblem(undefined);
    setErrors({});
    try {
      const job = await api.request<{ jobId: string }>('/api/video/generate', { method: 'POST', body, idempotencyKey: key });
      navigate({ name: 'job', id: job.jobId });
    } catch (err) {
      fail(err);
      setBusy(undefined);
    } finally {
      sending.current = false;
    }
  };

  const overLimit = values.response.length > limits.responseMax || values.question.length > limits.questionMax;
  const sceneProblems = scenes.some((s) => !s.text.trim() || s.text.length > limits.sceneTextMax);

  return (
    <section aria-labelledby="new-heading">
      <div class="view-head">
        <h1 id="new-heading">New explainer</h1>
        <ol class="steps" aria-label="Steps">
          <li aria-current={step === 'write' ? 'step' : undefined}>1. Write</li>
          <li aria-current={step === 'preview' ? 'step' : undefined}>2. Check the scenes</li>
        </ol>
      </div>
      {problem && (
        <Notice kind={problem.kind} onDismiss={() => setProblem(undefined)}>
          {problem.text}
        </Notice>
      )}
      {step === 'write' && (
        <form class="form" onSubmit={preview} noValidate>
          <Field id="question" label="Student's question (optional)" error={errors.question} hint={<Counter length={values.question.length} max={limits.questionMax} />}>
            {(a11y) => <textarea {...a11y} name="question" rows={2} value={values.question} onInput={(e) => set('question', e.currentTarget.value)} />}
          </Field>
          <Field id="response" label="Your answer" error={errors.response} hint={<Counter length={values.response.length} max={limits.responseMax} />}>
            {(a11y) => <textarea {...a11y} name="response" rows={10} required value={values.response} onInput={(e) => set('response', e.currentTarget.value)} placeholder="Write the answer the video should explain. Each paragraph usually becomes a scene." />}
          </Field>
          <div class="grid-2">
            <Field id="style" label="Style" error={errors.style}>
              {(a11y) => (
                <select {...a11y} name="style" value={values.style} onChange={(e) => set('style', e.currentTarget.value)}>
                  {limits.styles.map((s) => (
                    <option key={s.value} value={s.value}>
                      {s.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="aspectRatio" label="Shape" error={errors.aspectRatio}>
              {(a11y) => (
                <select {...a11y} name="aspectRatio" value={values.aspectRatio} onChange={(e) => set('aspectRatio', e.currentTarget.value)}>
                  {providerChoice(limits, values.provider).aspectRatios.map((r) => (
                    <option key={r} value={r}>
                      {r === '16:9' ? 'Landscape (16:9)' : r === '9:16' ? 'Portrait (9:16)' : r}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {offersProviders(limits) && (
              <Field id="provider" label="Video provider" error={errors.provider}>
                {(a11y) => (
                  <select
                    {...a11y}
                    name="provider"
                    value={values.provider}
                    onChange={(e) => {
                      setValues(withProvider(values, limits, e.currentTarget.value));
                      setErrors(({ provider: _p, durationSeconds: _d, aspectRatio: _a, ...rest }) => rest);
                    }}
                  >
                    {limits.providers.map((p) => (
                      <option key={p.name} value={p.name}>
                        {p.label}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            <Field id="durationSeconds" label="Clip length" error={errors.durationSeconds}>
              {(a11y) => (
                <select {...a11y} name="durationSeconds" value={String(values.durationSeconds)} onChange={(e) => set('durationSeconds', Number(e.currentTarget.value))}>
                  {providerChoice(limits, values.provider).durations.map((d) => (
                    <option key={d} value={String(d)}>
                      {d} seconds per scene
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="maxScenes" label="Scenes, at most" error={errors.maxScenes}>
              {(a11y) => (
                <select {...a11y} name="maxScenes" value={String(values.maxScenes)} onChange={(e) => set('maxScenes', Number(e.currentTarget.value))}>
                  {Array.from({ length: limits.maxScenes }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={String(n)}>
                      {n}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="variations" label="Variations of the final cut" error={errors.variations}>
              {(a11y) => (
                <select {...a11y} name="variations" value={String(values.variations)} onChange={(e) => set('variations', Number(e.currentTarget.value))}>
                  {Array.from({ length: limits.maxVariations + 1 }, (_, i) => i).map((n) => (
                    <option key={n} value={String(n)}>
                      {n === 0 ? 'None' : n}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {limits.keyframes && (
              <div class={`field field-check${errors.keyframes ? ' field-invalid' : ''}`}>
                <input id="keyframes" type="checkbox" checked={values.keyframes} onChange={(e) => set('keyframes', e.currentTarget.checked)} aria-describedby="keyframes-hint" />
                <label for="keyframes">Keyframes</label>
                <p class="hint" id="keyframes-hint">
                  Draw a still for each scene first and start its clip from it.
                </p>
                {errors.keyframes && <p class="field-error">{errors.keyframes}</p>}
              </div>
            )}
          </div>
          <div class="form-actions">
            <button type="submit" class="button-primary" disabled={busy !== undefined || overLimit || !values.response.trim()}>
              {busy === 'preview' ? 'Splitting into scenes…' : 'Preview the scenes'}
            </button>
            <span class="hint">Nothing is made or paid for until you approve the scenes.</span>
          </div>
        </form>
      )}
      {step === 'preview' && (
        <div class="preview">
          <h2 ref={previewHeading} tabIndex={-1}>
            {scenes.length} scene{scenes.length === 1 ? '' : 's'}, {scenes.length * values.durationSeconds} seconds in all
          </h2>
          {note && <Notice kind="info">{note}</Notice>}
          {errors.scenes && <p class="field-error">{errors.scenes}</p>}
          <ol class="scene-edit-list">
            {scenes.map((scene, i) => {
              const error = errors[`scenes.${i}.text`] ?? (!scene.text.trim() ? 'A scene needs some text' : scene.text.length > limits.sceneTextMax ? `At most ${limits.sceneTextMax} characters` : undefined);
              return (
                <li key={scene.key} class="scene-edit">
                  <Field id={`scene-${scene.key}`} label={`Scene ${i + 1}`} error={error} hint={<Counter length={scene.text.length} max={limits.sceneTextMax} />}>
                    {(a11y) => (
                      <textarea
                        {...a11y}
                        rows={3}
                        value={scene.text}
                        onInput={(e) => {
                          const text = e.currentTarget.value;
                          setScenes((all) => all.map((s) => (s.key === scene.key ? { ...s, text } : s)));
                        }}
                      />
                    )}
                  </Field>
                  <button type="button" class="button-quiet" disabled={scenes.length === 1} onClick={() => setScenes((all) => all.filter((s) => s.key !== scene.key))} aria-label={`Remove scene ${i + 1}`}>
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
          <div class="form-actions">
            <button type="button" class="button-secondary" onClick={() => setStep('write')} disabled={busy !== undefined}>
              Back to the answer
            </button>
            <button type="button" class="button-primary" onClick={generate} disabled={busy !== undefined || sceneProblems || scenes.length === 0}>
              {busy === 'generate' ? 'Starting…' : `Generate the explainer`}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
