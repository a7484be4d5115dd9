import { describe, expect, it } from 'vitest';
import { appendProgress, type ProgressLine } from './progress-lines.js';

const texts = (lines: ProgressLine[]) => lines.map((l) => l.text);

describe('appendProgress', () => {
  it('prints spec as is, stages with an arrow, log lines as they are', () => {
    let lines = appendProgress([], { type: 'stage', stage: 'spec', message: 'spec: 1 vCPU (flag)' });
    lines = appendProgress(lines, { type: 'stage', stage: 'reserve', message: 'reserving' });
    lines = appendProgress(lines, { type: 'log', message: 'a log line' });
    expect(texts(lines)).toEqual(['spec: 1 vCPU (flag)', '→ reserving', 'a log line']);
  });

  it('replaces repeated counts of one stage, and keeps a count once another stage follows', () => {
    let lines: ProgressLine[] = [];
    for (const current of [1, 2, 3]) {
      lines = appendProgress(lines, { type: 'stage', stage: 'layers', message: 'layer', current, total: 3 });
    }
    lines = appendProgress(lines, { type: 'stage', stage: 'unpack', message: 'unpacking' });
    lines = appendProgress(lines, { type: 'stage', stage: 'layers', message: 'layer', current: 1, total: 1 });
    expect(texts(lines)).toEqual(['→ layer [3/3]', '→ unpacking', '→ layer [1/1]']);
  });
});
