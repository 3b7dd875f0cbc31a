import { describe, expect, it } from 'vitest';
import { buildStoryboard, MAX_PROMPT_CHARS, promptShortfall, splitText } from '../lib/storyboard.js';

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

describe('storyboard edge cases', () => {
  it('a bullet list without blank lines: one scene per item, markers stripped', () => {
    const text = 'To cook pasta:\n- Heat a large pot of salted water until it boils steadily\n- Add the pasta and stir it well so it does not stick\n* Drain it after about ten minutes and serve it warm';
    const pieces = splitText(text, 5);
    expect(pieces).toHaveLength(3);
    expect(pieces[0]).toMatch(/^To cook pasta: Heat a large pot/);
    expect(pieces[1]).toBe('Add the pasta and stir it well so it does not stick');
    expect(pieces[2]).toBe('Drain it after about ten minutes and serve it warm');
    expect(pieces.some((p) => /(^|\s)[-*•]\s/.test(p))).toBe(false);
  });

  it('a numbered list splits the same way', () => {
    const text = '1. Light hits the chlorophyll inside the leaf cells.\n2. Water is split and oxygen is released into the air.\n3) Sugar is built from carbon dioxide and stored.';
    const pieces = splitText(text, 5);
    expect(pieces).toEqual([
      'Light hits the chlorophyll inside the leaf cells.',
      'Water is split and oxygen is released into the air.',
      'Sugar is built from carbon dioxide and stored.',
    ]);
  });

  it('one word is one scene whose prompt carries it', () => {
    const scenes = buildStoryboard('Photosynthesis', opts);
    expect(scenes).toHaveLength(1);
    expect(scenes[0]!.text).toBe('Photosynthesis');
    expect(scenes[0]!.prompt).toMatch(/^Visualise: Photosynthesis/);
  });

  it('one giant paragraph of many sentences: at most maxScenes, every sentence kept, in order', () => {
    const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} adds one more small idea to the explanation.`);
    const pieces = splitText(sentences.join(' '), 6);
    expect(pieces).toHaveLength(6);
    const joined = pieces.join(' ');
    let last = -1;
    for (let i = 0; i < 60; i++) {
      const at = joined.indexOf(`Sentence number ${i} `);
      expect(at).toBeGreaterThan(last);
      last = at;
    }
  });

  it('non-Latin scripts split on their own sentence marks, in order', () => {
    const hindi = 'चाँद की अपनी कोई रोशनी नहीं होती है। वह सूरज की रोशनी को लौटाता है। हम उसका बदलता हुआ चमकीला भाग देखते हैं।';
    expect(splitText(hindi, 5)).toHaveLength(3);
    const arabic = 'القمر لا يضيء من تلقاء نفسه أبدا؟ إنه يعكس ضوء الشمس الساطع علينا. ونرى أجزاء مختلفة منه كل ليلة جديدة.';
    expect(splitText(arabic, 5)).toHaveLength(3);
    const russian = 'Луна не светится сама по себе вовсе.\n\nОна отражает свет Солнца на Землю.\n\nМы видим разные её части каждую ночь.';
    const scenes = buildStoryboard(russian, opts);
    expect(scenes.map((s) => s.text)).toEqual(['Луна не светится сама по себе вовсе.', 'Она отражает свет Солнца на Землю.', 'Мы видим разные её части каждую ночь.']);
    const japanese = '月は自分で光りません。太陽の光を反射しています。見える明るい部分は毎晩変わります。';
    expect(splitText(japanese, 5).join('')).toBe(japanese);
  });

  it('text far over the request limit still gives at most maxScenes prompts within Veo limits', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Idea ${i} is explained in a long sentence that goes on for a while.`).join('\n\n');
    expect(text.length).toBeGreaterThan(20_000);
    const scenes = buildStoryboard(text, { ...opts, maxScenes: 3 });
    expect(scenes).toHaveLength(3);
    for (const s of scenes) expect(s.prompt.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
    expect(scenes[2]!.prompt).toContain('Scene 3 of 3');
  });
});

describe('storyboard text fidelity', () => {
  const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

  it('never cuts a character in half: emoji, rare CJK and accents survive hard cuts and clipping', () => {
    for (const text of ['x' + '🌕'.repeat(400) + ' is the full moon', '𠀀𠀁'.repeat(500), 'x' + 'cafe\u0301'.repeat(150)]) {
      const pieces = splitText(text, 10);
      expect(pieces.every(wellFormed)).toBe(true);
      expect(pieces.some((p) => /^\p{M}/u.test(p))).toBe(false);
      for (const scene of buildStoryboard(text, { ...opts, maxScenes: 1 })) expect(wellFormed(scene.prompt)).toBe(true);
    }
  });

  it('keeps numbers, signs and emphasis at the start of a paragraph; strips only real list markers', () => {
    const text = '2x + 3 = 11 is the equation we solve today.\n\n1905 was the year of four great papers.\n\n-40 degrees is where both scales meet.\n\n1. Heat the water until it boils.';
    expect(splitText(text, 5)).toEqual([
      '2x + 3 = 11 is the equation we solve today.',
      '1905 was the year of four great papers.',
      '-40 degrees is where both scales meet.',
      'Heat the water until it boils.',
    ]);
  });

  it('splits sentences only at a full stop and a space: decimals, i.e. and URLs stay whole', () => {
    const text = 'Pi is 3.14159, i.e. a little more than three. See https://en.wikipedia.org/wiki/Pi for more. "Is that all?" she asked.';
    const pieces = splitText(text, 5);
    expect(pieces.join(' ')).toBe(text);
    expect(pieces.some((p) => p.includes('See https://en.wikipedia.org/wiki/Pi for more.'))).toBe(true);
  });

  it('Markdown marks go, their words stay; a fenced code block stays one scene', () => {
    const text = '## Why the sky is blue\n\nLight is **scattered** by the *air*, see [this page](https://example.com/sky) and `rayleigh()`.\n\n```python\ndef fact(n):\n\n    return 1 if n <= 1 else n * fact(n - 1)\n```';
    const pieces = splitText(text, 5);
    expect(pieces[0]).toBe('Why the sky is blue Light is scattered by the air, see this page and rayleigh().');
    expect(pieces.filter((p) => p.includes('def fact'))).toHaveLength(1);
    expect(pieces.find((p) => p.includes('def fact'))).toContain('return 1 if n <= 1');
  });

  it('code and arithmetic are not Markdown: x**2 stays, a code block keeps its # and - lines and stays one scene', () => {
    const text = 'The circle is x**2 + y**2 = r**2 in the plane.\n\n```\n# the first step\n- subtract one\n1. repeat\n```\n\nThat is all there is to it, really.';
    const pieces = splitText(text, 5);
    expect(pieces[0]).toBe('The circle is x**2 + y**2 = r**2 in the plane.');
    expect(pieces.filter((p) => p.includes('the first step'))).toEqual(['# the first step - subtract one 1. repeat']);
  });

  it('many short sentences are grouped evenly, not piled into the first scenes', () => {
    const pieces = splitText('The moon is bright. '.repeat(40), 5);
    expect(pieces).toHaveLength(5);
    const lengths = pieces.map((p) => p.length);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(40);
  });

  it('one absurdly long character (a letter with thousands of accents) still gives a prompt within the limit', () => {
    const [scene] = buildStoryboard(`a${'\u0301'.repeat(7999)}`, { ...opts, maxScenes: 1 });
    expect(scene!.prompt.length).toBeLessThanOrEqual(MAX_PROMPT_CHARS);
  });

  it('groups pieces evenly into the scenes allowed, keeping every word', () => {
    const text = Array.from({ length: 28 }, (_, i) => `Paragraph ${i} explains one more idea in about as many words as the others do here.`).join('\n\n');
    const pieces = splitText(text, 5);
    expect(pieces).toHaveLength(5);
    const lengths = pieces.map((p) => p.length);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThan(200);
    for (let i = 0; i < 28; i++) expect(pieces.join(' ')).toContain(`Paragraph ${i} `);
  });

  it('a clipped prompt ends at a word, keeps its style cues, and says so through promptShortfall', () => {
    const text = 'word '.repeat(600).trim();
    const [scene] = buildStoryboard(text, { ...opts, maxScenes: 1 });
    expect(scene!.prompt).toMatch(/word…/);
    expect(scene!.prompt).toContain('Scene 1 of 1.');
    expect(promptShortfall(scene!.text, 0, 1, { ...opts, maxScenes: 1 })).toBeGreaterThan(0);
    expect(promptShortfall('short', 0, 1, opts)).toBe(0);
  });

  it('a question ending in a question mark gets no extra full stop', () => {
    const [scene] = buildStoryboard('Gravity pulls the apple toward the centre of the earth.', { ...opts, question: 'Why do apples fall?' });
    expect(scene!.prompt).toContain('The topic: Why do apples fall? ');
  });
});
