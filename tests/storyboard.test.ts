import { describe, expect, it } from 'vitest';
import { buildStoryboard, MAX_PROMPT_CHARS, splitText } from '../lib/storyboard.ts';

const opts = { style: 'calm' as const, maxScenes: 5, durationSeconds: 8 };

describe('storyboard splitter', () => {
  it('splits three paragraphs into three scenes, in order', () => {
    const text = 'Photosynthesis turns light into sugar inside the leaf.\n\nRoots pull water up from the soil through the stem.\n\nStomata let carbon dioxide in and oxygen out of the leaf.';
    const scenes = buildStoryboard(text, opts);
    expect(scenes.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(scenes[1]!.text).toBe('Roots pull water up from the soil through the stem.');
    expect(scenes[2]!.prompt).toContain('Scene 3 of 3');
  });

  it('falls back to sentences when there is one paragraph', () => {
    const text = 'The moon has no light of its own and only reflects the sun. As it orbits the earth we see more or less of its lit half. That changing view is what we call its phases.';
    expect(splitText(text, 5)).toHaveLength(3);
  });

  it('merges very short pieces instead of filming them alone', () => {
    const pieces = splitText('Yes.\n\nNo.\n\nThe longer explanation of why water boils at lower temperatures on mountains.', 5);
    expect(pieces.every((p) => p.length >= 10)).toBe(true);
    expect(pieces.join(' ')).toContain('Yes.');
  });

  it('never exceeds maxScenes and keeps every word', () => {
    const text = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} explains a separate idea in enough words to stand alone.`).join('\n\n');
    const pieces = splitText(text, 4);
    expect(pieces).toHaveLength(4);
    for (let i = 0; i < 12; i++) expect(pieces.join(' ')).toContain(`Paragraph ${i} `);
  });

  it('cuts one giant paragraph with no punctuation into fixed-size chunks', () => {
    const text = 'word '.repeat(1500).trim();
    const pieces = splitText(text, 20);
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.every((p) => p.length <= 600)).toBe(true);
  });

  it('handles non-Latin scripts and scripts without spaces', () => {
    const cjk = '月亮本身不发光。它反射太阳的光。我们看到的亮面随着它绕地球运行而变化。';
    expect(splitText(cjk, 5).length).toBeGreaterThanOrEqual(1);
    const long = '光'.repeat(2000);
    expect(splitText(long, 10).every((p) => p.length <= 600)).toBe(true);
  });

  it('strips bullet markers from list paragraphs', () => {
    const pieces = splitText('- First, heat the water until it boils steadily.\n\n- Then add the pasta and stir it well.', 5);
    expect(pieces[0]!.startsWith('First')).toBe(true);
  });

  it('always gives at least one scene, never an empty prompt', () => {
    expect(buildStoryboard('   \n\n  ', opts)).toHaveLength(1);
    expect(buildStoryboard('...', { ...opts, question: 'Why is the sky blue?' })[0]!.text).toBe('Why is the sky blue?');
    expect(buildStoryboard('Hi', opts)[0]!.prompt).toContain('Hi');
  });

  it('keeps prompts within the Veo limit and carries style and continuity cues', () => {
    const scenes = buildStoryboard('x'.repeat(8000), { ...opts, style: 'fun' });
    for (const s of scenes) {
      expect(s.prompt.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
      expect(s.prompt).toMatch(/playful/);
      expect(s.prompt).toMatch(/same cheerful cartoon guide/);
    }
  });
});
