import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { AppError } from './errors.js';
import {
  formatIpv4,
  guestAddressCount,
  guestNetwork,
  IFNAME_MAX,
  isOwnTapName,
  isValidIfname,
  isValidUid,
  isVmTapName,
  looksLikeBangerTap,
  macForIp,
  nextFreeAddress,
  parseCidr,
  parseIpv4,
  parsePoolTapName,
  planNetwork,
  poolTapName,
  subnetContains,
  tapNameForVm,
  tryParseIpv4,
  vmIdFromTag,
  vmTag,
} from './network.js';

describe('IPv4 and CIDR parsing', () => {
  it('round-trips addresses', () => {
    for (const text of ['0.0.0.0', '172.16.0.1', '255.255.255.255', '10.1.2.3']) {
      expect(formatIpv4(parseIpv4(text))).toBe(text);
    }
  });

  it('rejects malformed addresses', () => {
    for (const text of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      ' 1.2.3.4',
      '1.2.3.4/24',
    ]) {
      expect(tryParseIpv4(text), text).toBeUndefined();
    }
    expect(errorOf(() => parseIpv4('x')).code).toBe('invalid_argument');
  });

  it('parses a CIDR into network, prefix and broadcast', () => {
    const s = parseCidr('172.16.0.0/24');
    expect(s).toEqual({
      cidr: '172.16.0.0/24',
      network: parseIpv4('172.16.0.0'),
      prefix: 24,
      broadcast: parseIpv4('172.16.0.255'),
    });
    expect(formatIpv4(parseCidr('10.0.0.8/29').broadcast)).toBe('10.0.0.15');
  });

  it('rejects host bits, bad prefixes and garbage with a next step', () => {
    expect(errorOf(() => parseCidr('172.16.0.5/24')).message).toContain('did you mean 172.16.0.0/24?');
    expect(errorOf(() => parseCidr('172.16.0.0/31')).message).toContain('between /8 and /30');
    expect(errorOf(() => parseCidr('10.0.0.0/7')).message).toContain('between /8 and /30');
    for (const bad of ['172.16.0.0', '172.16.0.0/', '172.16.0.0/abc', 'x/24', '172.16.0.0/024']) {
      expect(errorOf(() => parseCidr(bad)).code, bad).toBe('invalid_argument');
    }
  });

  it('checks the gateway against the subnet, naming the config key', () => {
    expect(planNetwork('172.16.0.0/24', '172.16.0.1').gateway).toBe('172.16.0.1');
    for (const gw of ['172.16.0.0', '172.16.0.255', '172.16.1.1']) {
      const err = errorOf(() => planNetwork('172.16.0.0/24', gw));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/^config key bridge_ip: /);
    }
    expect(errorOf(() => planNetwork('172.16.0.1/24', '172.16.0.1')).message).toMatch(/^config key cidr: /);
  });
});

describe('nextFreeAddress', () => {
  it('never hands out the network, gateway or broadcast address', () => {
    expect(nextFreeAddress('172.16.0.0/24', '172.16.0.1', new Set())).toBe('172.16.0.2');
    expect(nextFreeAddress('10.0.0.0/29', '10.0.0.2', new Set())).toBe('10.0.0.1');
    expect(nextFreeAddress('10.0.0.0/29', '10.0.0.2', new Set(['10.0.0.1']))).toBe('10.0.0.3');
  });

  it('gives a /29 exactly its usable addresses, then the exhaustion error', () => {
    const cidr = '192.168.7.8/29';
    const gateway = '192.168.7.9';
    const used = new Set<string>();
    for (;;) {
      let next: string;
      try {
        next = nextFreeAddress(cidr, gateway, used);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('conflict');
        expect((err as AppError).message).toBe('no free address in 192.168.7.8/29');
        break;
      }
      expect(used.has(next)).toBe(false);
      used.add(next);
    }
    expect([...used]).toEqual([
      '192.168.7.10',
      '192.168.7.11',
      '192.168.7.12',
      '192.168.7.13',
      '192.168.7.14',
    ]);
    expect(used.size).toBe(guestAddressCount(planNetwork(cidr, gateway)));
  });

  it('gives 20 allocations 20 distinct addresses, reusing a released one', () => {
    const used = new Set<string>();
    for (let i = 0; i < 20; i++) used.add(nextFreeAddress('172.16.0.0/24', '172.16.0.1', used));
    expect(used.size).toBe(20);
    used.delete('172.16.0.7');
    expect(nextFreeAddress('172.16.0.0/24', '172.16.0.1', used)).toBe('172.16.0.7');
  });
});

describe('macForIp', () => {
  it('is 06:00 plus the octets: locally administered unicast', () => {
    expect(macForIp('172.16.0.5')).toBe('06:00:ac:10:00:05');
    const first = Number.parseInt(macForIp('10.255.0.1').slice(0, 2), 16);
    expect(first & 0b10).toBe(0b10);
    expect(first & 0b01).toBe(0);
  });

  it('differs for every address of a /24', () => {
    const macs = new Set(Array.from({ length: 256 }, (_, i) => macForIp(`172.16.0.${i}`)));
    expect(macs.size).toBe(256);
  });
});

describe('host resource names', () => {
  const id = '0123456789abcdef';

  it('names a VM TAP for its owner: bg<uid base 36>- then sha256 hex, 15 characters', () => {
    expect(tapNameForVm(id, 1000)).toMatch(/^bgrs-[0-9a-f]{10}$/);
    expect(tapNameForVm(id, 0)).toMatch(/^bg0-[0-9a-f]{11}$/);
    expect(tapNameForVm(id, 2 ** 32 - 2)).toMatch(/^bg1z141z2-[0-9a-f]{5}$/);
    expect(tapNameForVm(id, 1000)).toBe(tapNameForVm(id, 1000));
    expect(tapNameForVm(id, 1000)).not.toBe(tapNameForVm(id, 1001));
  });

  it('gives different ids different TAP names', () => {
    const names = new Set(
      Array.from({ length: 1000 }, (_, i) => tapNameForVm(i.toString(16).padStart(16, '0'), 1000)),
    );
    expect(names.size).toBe(1000);
  });

  it('refuses ids that are not 16 hex digits and uids that are not uids', () => {
    for (const bad of ['', 'a b', 'vm1', '0123456789ABCDEF', '0123456789abcde', `${id}0`, 'banger:x\nroot']) {
      expect(errorOf(() => tapNameForVm(bad, 1000)).code, bad).toBe('internal');
      expect(errorOf(() => vmTag(bad)).code, bad).toBe('internal');
    }
    for (const uid of [-1, 1.5, 2 ** 32 - 1])
      expect(errorOf(() => tapNameForVm(id, uid)).code).toBe('internal');
  });

  it('names pool TAPs <owner>p<n> and recognises only exactly its own', () => {
    expect(poolTapName(0, 1000)).toBe('bgrs-p0');
    expect(parsePoolTapName(poolTapName(999, 1000), 1000)).toBe(999);
    expect(poolTapName(999, 2 ** 32 - 2).length).toBeLessThanOrEqual(15);
    for (const other of ['bgrs-p', 'bgrs-p01', 'bgrs-p1a', 'bgrs-p1000', 'xbgrs-p1', 'bgrs-p1 ', 'bgrt-p1']) {
      expect(parsePoolTapName(other, 1000), other).toBeUndefined();
    }
    expect(errorOf(() => poolTapName(1000, 1000)).code).toBe('internal');
  });

  it("tells a user's TAPs from another user's", () => {
    expect(isOwnTapName(tapNameForVm(id, 1000), 1000)).toBe(true);
    expect(isOwnTapName(poolTapName(3, 1000), 1000)).toBe(true);
    expect(isOwnTapName(tapNameForVm(id, 1001), 1000)).toBe(false);
    expect(isOwnTapName(poolTapName(3, 1001), 1000)).toBe(false);
    expect(isOwnTapName('bgrs-', 1000)).toBe(false);
    expect(isOwnTapName('bgrs-0123', 1000)).toBe(false);
    expect(isVmTapName(poolTapName(3, 1000), 1000)).toBe(false);
    expect(looksLikeBangerTap(poolTapName(3, 4242))).toBe(true);
    expect(looksLikeBangerTap('banger0')).toBe(false);
    expect(looksLikeBangerTap('bg01-p1')).toBe(false);
  });

  it('reads a VM id only from an exact tag the id syntax accepts', () => {
    const isVmId = (id: string) => id !== 'ffffffffffffffff';
    expect(vmIdFromTag(vmTag('0123abcd0123abcd'), isVmId)).toBe('0123abcd0123abcd');
    for (const other of [
      'banger:0123abcd0123abcd-extra',
      'banger:0123abcd0123abc',
      'notbanger:0123abcd0123abcd',
      'Banger:0123abcd0123abcd',
      'banger:ffffffffffffffff',
      'banger:',
    ]) {
      expect(vmIdFromTag(other, isVmId), other).toBeUndefined();
    }
  });
});

describe('guestNetwork', () => {
  it('gives the address with prefix, the gateway and the MAC', () => {
    expect(guestNetwork('172.16.0.0/24', '172.16.0.1', '172.16.0.5')).toEqual({
      address: '172.16.0.5/24',
      gateway: '172.16.0.1',
      mac: '06:00:ac:10:00:05',
    });
  });

  it('refuses the gateway, network, broadcast and outside addresses', () => {
    for (const ip of ['172.16.0.1', '172.16.0.0', '172.16.0.255', '10.0.0.2', 'nope']) {
      expect(errorOf(() => guestNetwork('172.16.0.0/24', '172.16.0.1', ip)).code, ip).toBe(
        'invalid_argument',
      );
    }
  });
});

describe('interface names and uids', () => {
  it('allows names up to IFNAMSIZ - 1 = 15 characters and not one more', () => {
    expect(IFNAME_MAX).toBe(15);
    expect(isValidIfname('a'.repeat(15))).toBe(true);
    expect(isValidIfname('a'.repeat(16))).toBe(false);
    expect(isValidIfname('a')).toBe(true);
    expect(isValidIfname('')).toBe(false);
  });

  it('refuses what ip or the kernel would misread: ., .., a leading dash or dot, spaces, slashes', () => {
    for (const ok of ['banger0', 'br_0', '_x', 'a.b-c', 'A9']) expect(isValidIfname(ok), ok).toBe(true);
    for (const bad of ['.', '..', '-x', '.x', 'a b', 'a/b', 'a:b', 'eth0\n', 'é']) {
      expect(isValidIfname(bad), bad).toBe(false);
    }
  });

  it('takes uids 0 to 2^32-2 (2^32-1 is "no uid")', () => {
    expect(isValidUid(0)).toBe(true);
    expect(isValidUid(2 ** 32 - 2)).toBe(true);
    expect(isValidUid(2 ** 32 - 1)).toBe(false);
    expect(isValidUid(-1)).toBe(false);
    expect(isValidUid(1.5)).toBe(false);
    expect(isValidUid(Number.NaN)).toBe(false);
  });
});

describe('network messages and boundaries, word for word', () => {
  it('names the bad address and the form to use', () => {
    expect(errorOf(() => parseIpv4('1.2.3')).message).toBe(
      '"1.2.3" is not an IPv4 address; use dotted form such as 172.16.0.1',
    );
    expect(tryParseIpv4('00.1.2.3')).toBeUndefined();
    expect(tryParseIpv4('1.2.3.00')).toBeUndefined();
    expect(tryParseIpv4('1.2.3.0')).toBe(parseIpv4('1.2.3.0'));
    expect(tryParseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(tryParseIpv4('1.2.3.1000')).toBeUndefined();
    expect(formatIpv4(0x01020304)).toBe('1.2.3.4');
  });

  it('explains each CIDR refusal', () => {
    expect(errorOf(() => parseCidr('x/24')).message).toBe(
      '"x/24" is not an IPv4 CIDR; use the form 172.16.0.0/24',
    );
    expect(errorOf(() => parseCidr('10.0.0.0/31')).message).toBe(
      'CIDR 10.0.0.0/31 has prefix /31; use a prefix between /8 and /30',
    );
    expect(errorOf(() => parseCidr('10.0.0.0/7')).message).toBe(
      'CIDR 10.0.0.0/7 has prefix /7; use a prefix between /8 and /30',
    );
    expect(errorOf(() => parseCidr('10.0.0.1/8')).message).toBe(
      'CIDR 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?',
    );
    expect(parseCidr('10.0.0.0/8').broadcast).toBe(parseIpv4('10.255.255.255'));
    expect(parseCidr('10.0.0.4/30')).toMatchObject({ cidr: '10.0.0.4/30', prefix: 30 });
    expect(errorOf(() => parseCidr('10.0.0.0/x8')).code).toBe('invalid_argument');
  });

  it('explains each gateway refusal with the config key', () => {
    expect(errorOf(() => planNetwork('10.0.0.0/33', '10.0.0.1')).message).toBe(
      'config key cidr: CIDR 10.0.0.0/33 has prefix /33; use a prefix between /8 and /30',
    );
    expect(errorOf(() => planNetwork('10.0.0.0/24', 'gw')).message).toBe(
      'config key bridge_ip: "gw" is not an IPv4 address',
    );
    expect(errorOf(() => planNetwork('10.0.0.0/24', '10.0.0.255')).message).toBe(
      'config key bridge_ip: 10.0.0.255 is not a usable host address in 10.0.0.0/24; pick one such as 10.0.0.1',
    );
    expect(planNetwork('10.0.0.0/24', '10.0.0.254').gateway).toBe('10.0.0.254');
  });

  it('counts guest addresses and knows what a subnet holds', () => {
    expect(guestAddressCount(planNetwork('10.0.0.0/30', '10.0.0.1'))).toBe(1);
    expect(guestAddressCount(planNetwork('10.0.0.0/24', '10.0.0.1'))).toBe(253);
    const subnet = parseCidr('10.0.0.0/30');
    expect(subnetContains(subnet, parseIpv4('10.0.0.0'))).toBe(true);
    expect(subnetContains(subnet, parseIpv4('10.0.0.3'))).toBe(true);
    expect(subnetContains(subnet, parseIpv4('10.0.0.4'))).toBe(false);
    expect(subnetContains(subnet, parseIpv4('9.255.255.255'))).toBe(false);
    expect(nextFreeAddress('10.0.0.0/30', '10.0.0.2', new Set())).toBe('10.0.0.1');
    expect(errorOf(() => nextFreeAddress('10.0.0.0/30', '10.0.0.1', new Set(['10.0.0.2']))).message).toBe(
      'no free address in 10.0.0.0/30',
    );
  });

  it('names the bad id, uid or index in resource-name errors', () => {
    expect(errorOf(() => vmTag('x')).message).toBe('VM id "x" cannot be used in host resource names');
    expect(errorOf(() => poolTapName(0, -1)).message).toBe('uid -1 cannot own a TAP');
    expect(errorOf(() => poolTapName(-1, 1000)).message).toBe('pool TAP index -1 out of range');
    expect(errorOf(() => poolTapName(1.5, 1000)).code).toBe('internal');
    expect(poolTapName(999, 1000)).toBe('bgrs-p999');
    expect(vmTag('0123456789abcdef')).toBe('banger:0123456789abcdef');
  });

  it('recognises only exact VM TAP names', () => {
    const tap = tapNameForVm('0123456789abcdef', 1000);
    expect(isVmTapName(tap, 1000)).toBe(true);
    expect(isVmTapName(tap.slice(0, 14), 1000)).toBe(false);
    expect(isVmTapName(`${tap.slice(0, 14)}g`, 1000)).toBe(false);
    expect(isVmTapName(`x${tap.slice(1)}`, 1000)).toBe(false);
    expect(looksLikeBangerTap(tap)).toBe(true);
    expect(looksLikeBangerTap(`bgzzzzzzzz-${'a'.repeat(4)}`)).toBe(false);
    expect(looksLikeBangerTap('bg-p1')).toBe(false);
    expect(looksLikeBangerTap(`x${poolTapName(3, 4242)}`)).toBe(false);
    expect(looksLikeBangerTap('bg1z141z3-p1')).toBe(false);
    expect(looksLikeBangerTap('bg01-p1')).toBe(false);
    expect(parsePoolTapName('bgrs-xp1', 1000)).toBeUndefined();
    expect(isVmTapName(`bgrs-g${'a'.repeat(9)}`, 1000)).toBe(false);
  });

  it('refuses a guest address in one line naming the subnet', () => {
    expect(errorOf(() => guestNetwork('10.0.0.0/24', '10.0.0.1', '10.0.0.1')).message).toBe(
      'guest address 10.0.0.1 is not a free host address of 10.0.0.0/24',
    );
    expect(guestNetwork('10.0.0.0/24', '10.0.0.1', '10.0.0.254').address).toBe('10.0.0.254/24');
  });
});
