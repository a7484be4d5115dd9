import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a ticket can be used: the page opens its WebSocket right after getting one. */
const TERMINAL_TICKET_TTL_MS = 30_000;
/** Tickets outstanding at once; minting more drops the oldest, so memory stays bounded. */
const MAX_TICKETS = 16;

interface Pending {
  digest: Buffer;
  vm: string;
  expiresAt: number;
}

/**
 * One-time tickets for the terminal's WebSocket. A browser cannot add an
 * `Authorization` header to a WebSocket, so the page first asks for a ticket
 * with its Bearer session secret (a normal API request), then offers the
 * ticket in `Sec-WebSocket-Protocol`: never the session secret itself, and
 * nothing in the URL. A ticket names one VM, works once and only for 30 s.
 * As for login codes, only SHA-256 digests are kept, compared in constant time.
 */
export class TerminalTickets {
  private pending: Pending[] = [];

  constructor(
    private readonly ttlMs: number = TERMINAL_TICKET_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  mint(vm: string): string {
    const ticket = randomBytes(32).toString('base64url');
    this.prune();
    this.pending.push({ digest: digest(ticket), vm, expiresAt: this.now() + this.ttlMs });
    if (this.pending.length > MAX_TICKETS) this.pending.shift();
    return ticket;
  }

  /** The VM (as the page named it) of a pending, unexpired ticket, once; the ticket is spent when it matched. */
  redeem(ticket: string): string | undefined {
    this.prune();
    const candidate = digest(ticket);
    let found: Pending | undefined;
    for (const p of this.pending) if (timingSafeEqual(p.digest, candidate)) found = p;
    if (found === undefined) return undefined;
    this.pending = this.pending.filter((p) => p !== found);
    return found.vm;
  }

  private prune(): void {
    const now = this.now();
    this.pending = this.pending.filter((p) => p.expiresAt > now);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
