import { describe, expect, it } from 'vitest';
import { TerminalTickets } from './terminal-tickets.js';

describe('TerminalTickets', () => {
  it('gives the VM back once for a fresh ticket, never for an unknown one', () => {
    const tickets = new TerminalTickets();
    const t = tickets.mint('dev');
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tickets.redeem('A'.repeat(43))).toBeUndefined();
    expect(tickets.redeem(t)).toBe('dev');
    expect(tickets.redeem(t)).toBeUndefined();
  });

  it('expires a ticket after its time, and keeps only the 16 newest', () => {
    let now = 1000;
    const tickets = new TerminalTickets(30_000, () => now);
    const old = tickets.mint('a');
    now += 30_000;
    expect(tickets.redeem(old)).toBeUndefined();
    const first = tickets.mint('first');
    const rest = Array.from({ length: 16 }, (_, i) => tickets.mint(`vm${i}`));
    expect(tickets.redeem(first)).toBeUndefined();
    expect(tickets.redeem(rest[0]!)).toBe('vm0');
  });
});
