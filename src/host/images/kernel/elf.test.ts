import { describe, expect, it } from 'vitest';
import { elfNotes, elfSection, isElf64, isStaticElf, pvhEntry } from './elf.js';
import { syntheticElf } from './testing/synthetic-elf.js';

describe('ELF reader', () => {
  it('finds the Xen PVH entry note past other notes', () => {
    const elf = syntheticElf({ pvhEntry: 0x1000abc });
    expect(isElf64(elf)).toBe(true);
    expect(elfNotes(elf).map((n) => `${n.name}:${n.type}`)).toEqual(['GNU:3', 'Xen:18']);
    expect(pvhEntry(elf)).toBe(0x1000abc);
  });

  it('reports no PVH entry when the note is absent', () => {
    expect(pvhEntry(syntheticElf({}))).toBeUndefined();
  });

  it('tells static from dynamic executables', () => {
    expect(isStaticElf(syntheticElf({}))).toBe(true);
    expect(isStaticElf(syntheticElf({ interp: true }))).toBe(false);
    expect(isStaticElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });

  it('reads a named section', () => {
    const elf = syntheticElf({ modinfo: ['license=GPL', 'depends=a,b'] });
    expect(elfSection(elf, '.modinfo')?.toString('latin1')).toBe('license=GPL\0depends=a,b\0');
    expect(elfSection(elf, '.text')).toBeUndefined();
  });

  it('survives truncated and garbage input', () => {
    const elf = syntheticElf({ pvhEntry: 1 });
    expect(pvhEntry(elf.subarray(0, 100))).toBeUndefined();
    expect(elfNotes(Buffer.alloc(10))).toEqual([]);
    expect(elfSection(Buffer.alloc(200, 0xff), '.modinfo')).toBeUndefined();
  });
});
