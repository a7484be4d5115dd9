import { describe, expect, it } from 'vitest';
import { poolTapName } from '../../domain/network.js';
import { TEST_GRANT } from '../../testing/grant.js';
import {
  formatGrant,
  grantFromConfig,
  type NetworkGrant,
  parseGrant,
  resolveGrant,
  sameGrant,
} from './grant.js';

/** The AppError a call throws (code and message), or undefined when it does not throw. */
function thrown(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  return undefined;
}

describe('resolveGrant', () => {
  it('adds the network plan to a valid grant', () => {
    expect(resolveGrant(TEST_GRANT)).toEqual({
      ...TEST_GRANT,
      plan: { subnet: expect.objectContaining({ cidr: '172.16.0.0/24', prefix: 24 }), gateway: '172.16.0.1' },
    });
  });

  it('accepts the edges: uid 0, DNS port 0 (none) and 65535, a 15-character bridge name', () => {
    for (const edge of [{ uid: 0 }, { dnsPort: 0 }, { dnsPort: 65535 }, { bridgeName: 'a23456789012345' }]) {
      expect(
        thrown(() => resolveGrant({ ...TEST_GRANT, ...edge })),
        JSON.stringify(edge),
      ).toBeUndefined();
    }
  });

  it('refuses a uid that is not one, naming it', () => {
    for (const uid of [-1, 1.5, 2 ** 32 - 1, Number.NaN]) {
      expect(thrown(() => resolveGrant({ ...TEST_GRANT, uid }))).toEqual({
        code: 'invalid_config',
        message: `grant: uid ${uid} is not a uid`,
      });
    }
  });

  it('refuses bridge names that are not interface names or look like a TAP', () => {
    for (const bridgeName of [
      '',
      'a234567890123456',
      'br 0',
      'br0\n',
      '..',
      poolTapName(0, 1000),
      'bg0-p1',
    ]) {
      expect(thrown(() => resolveGrant({ ...TEST_GRANT, bridgeName }))).toEqual({
        code: 'invalid_config',
        message: `config key bridge_name: "${bridgeName}" is not usable as banger's bridge name; use letters, digits and '-' (at most 15), not a TAP-like "bg<x>-" name`,
      });
    }
    // "bg" alone is no TAP prefix
    expect(thrown(() => resolveGrant({ ...TEST_GRANT, bridgeName: 'bg-bridge' }))).toBeUndefined();
  });

  it('refuses a DNS port out of range or not whole', () => {
    for (const dnsPort of [-1, 65536, 53.5, Number.POSITIVE_INFINITY]) {
      expect(thrown(() => resolveGrant({ ...TEST_GRANT, dnsPort }))).toEqual({
        code: 'invalid_config',
        message: `grant: DNS port ${dnsPort} is not a port`,
      });
    }
  });

  it('refuses a gateway outside the subnet (planNetwork decides)', () => {
    expect(thrown(() => resolveGrant({ ...TEST_GRANT, bridgeIp: '10.0.0.1' }))?.code).toBe('invalid_config');
  });
});

describe('grantFromConfig', () => {
  it("takes the DNS port from the daemon's listen address", () => {
    const config = {
      bridgeName: 'br1',
      bridgeIp: '10.5.0.1',
      cidr: '10.5.0.0/24',
      dnsListenAddr: '10.5.0.1:5353',
    };
    expect(grantFromConfig(config, 1234)).toEqual({
      uid: 1234,
      bridgeName: 'br1',
      bridgeIp: '10.5.0.1',
      cidr: '10.5.0.0/24',
      dnsPort: 5353,
    });
  });
});

describe('parseGrant', () => {
  const file = '/etc/banger/users/1000.json';

  it('round-trips a formatted grant', () => {
    expect(parseGrant(formatGrant(TEST_GRANT), file)).toEqual(resolveGrant(TEST_GRANT));
  });

  it('names the file and the fix for text that is not JSON', () => {
    expect(thrown(() => parseGrant('{"uid": 1000', file))).toEqual({
      code: 'invalid_config',
      message: `${file} is not valid JSON; rerun sudo banger system setup`,
    });
  });

  it('refuses JSON that is not a grant: null, arrays, missing or mistyped fields', () => {
    const valid = JSON.parse(formatGrant(TEST_GRANT)) as Record<string, unknown>;
    const texts = ['null', '[]', '"x"', '{}'];
    for (const key of Object.keys(valid)) {
      texts.push(JSON.stringify({ ...valid, [key]: undefined }));
      texts.push(
        JSON.stringify({ ...valid, [key]: typeof valid[key] === 'number' ? String(valid[key]) : 1 }),
      );
    }
    for (const text of texts) {
      expect(
        thrown(() => parseGrant(text, file)),
        text,
      ).toEqual({
        code: 'invalid_config',
        message: `${file} is not a banger grant; rerun sudo banger system setup`,
      });
    }
  });

  it('checks the values, not just their types', () => {
    const text = JSON.stringify({ ...TEST_GRANT, bridgeName: 'eth0; reboot' });
    expect(thrown(() => parseGrant(text, file))?.message).toMatch(/^config key bridge_name: "eth0; reboot"/);
  });

  it('keeps only the grant fields', () => {
    const text = JSON.stringify({ ...TEST_GRANT, extra: 'x' });
    expect(Object.keys(parseGrant(text, file)).sort()).toEqual([...Object.keys(TEST_GRANT), 'plan'].sort());
  });
});

describe('formatGrant and sameGrant', () => {
  it('writes the five fields in a fixed order, two-space indented, with a final newline', () => {
    const shuffled = { dnsPort: 53, cidr: '10.0.0.0/24', bridgeIp: '10.0.0.1', bridgeName: 'br', uid: 7 };
    expect(formatGrant({ ...shuffled, plan: 'ignored' } as NetworkGrant)).toBe(
      '{\n  "uid": 7,\n  "bridgeName": "br",\n  "bridgeIp": "10.0.0.1",\n  "cidr": "10.0.0.0/24",\n  "dnsPort": 53\n}\n',
    );
  });

  it('compares every field and nothing else', () => {
    expect(sameGrant(TEST_GRANT, { ...TEST_GRANT })).toBe(true);
    expect(sameGrant(TEST_GRANT, resolveGrant(TEST_GRANT))).toBe(true);
    const changes: Partial<NetworkGrant>[] = [
      { uid: 1001 },
      { bridgeName: 'br1' },
      { bridgeIp: '172.16.0.2' },
      { cidr: '172.16.0.0/23' },
      { dnsPort: 53 },
    ];
    for (const change of changes) expect(sameGrant(TEST_GRANT, { ...TEST_GRANT, ...change })).toBe(false);
  });
});
