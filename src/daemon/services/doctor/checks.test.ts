import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { defaultChecks } from './checks.js';
import type { DoctorContext } from './registry.js';

const check = defaultChecks.find((c) => c.id === 'mmdebstrap-mode');

describe('doctor: mmdebstrap mode', () => {
  it('warns with an install line when mmdebstrap cannot run', async () => {
    const runner = new FakeRunner().on(['mmdebstrap', '--version'], { exitCode: 127 });
    const result = await check?.run({ runner } as unknown as DoctorContext);
    expect(result).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/apt-get install mmdebstrap/),
    });
  });

  it('names the mode it will use', async () => {
    const runner = new FakeRunner().on(['mmdebstrap', '--version'], { stdout: 'mmdebstrap 1.3.5\n' });
    const result = await check?.run({ runner } as unknown as DoctorContext);
    const expected = process.geteuid?.() === 0 ? /--mode=root/ : /--mode=unshare|not possible/;
    expect(result?.detail).toMatch(expected);
  });
});
