// The client memory budget and the per-turn read quota, with stand-in clients:
// who is paused, resumed and dropped as the total moves; and a line reader
// that takes a limited number of lines per call, keeping the rest.

import { LineReader } from '../lib/server/line-reader';
import { MemoryBudget, type BudgetMember } from '../lib/server/memory-budget';
import { ReadQuota } from '../lib/server/read-quota';

class Client implements BudgetMember {
  heldBytes = 0;
  paused = false;
  dropped = false;
  constructor(readonly name: string) {}
  pauseForBudget(paused: boolean): void {
    this.paused = paused;
  }
  dropForBudget(): void {
    this.dropped = true;
  }
}

describe('the client memory budget', () => {
  test('past the budget the biggest holders are paused, not a small client that tips it over; all resume under three quarters of it', () => {
    const budget = new MemoryBudget(1000);
    const [a, b, c] = [new Client('a'), new Client('b'), new Client('c')];
    a.heldBytes = 600;
    budget.update(a);
    b.heldBytes = 500;
    budget.update(b);
    expect([a.paused, b.paused]).toEqual([true, false]); // b holds less than the mean: the biggest, a, is paused
    c.heldBytes = 100;
    budget.update(c);
    expect([a.paused, b.paused, c.paused]).toEqual([true, true, false]); // then the next biggest
    a.heldBytes = 50; // a's replies were read
    budget.update(a);
    expect([a.paused, b.paused, c.paused]).toEqual([false, false, false]);
  });

  test('past the budget by a quarter, the biggest holders are dropped first, until the total is under it', () => {
    const budget = new MemoryBudget(1000);
    const clients = [300, 100, 500, 200].map((bytes, index) => Object.assign(new Client(`c${index}`), { heldBytes: bytes }));
    for (const client of clients) budget.update(client);
    expect(clients.map((client) => client.dropped)).toEqual([false, false, false, false]);
    clients[1]!.heldBytes = 300; // total 1300: past 1250
    budget.update(clients[1]!);
    expect(clients.map((client) => client.dropped)).toEqual([false, false, true, false]);
    expect(budget.held).toBe(800);
  });

  test('a closed client leaves the total, and the clients it kept paused go on', () => {
    const budget = new MemoryBudget(1000);
    const [big, other] = [Object.assign(new Client('big'), { heldBytes: 900 }), Object.assign(new Client('other'), { heldBytes: 200 })];
    budget.update(big);
    budget.update(other);
    expect(big.paused).toBe(true);
    budget.remove(other);
    expect(budget.held).toBe(900);
    expect(big.paused).toBe(true); // still over three quarters
    big.heldBytes = 700;
    budget.update(big);
    expect(big.paused).toBe(false);
    // And a close alone lets the paused go on: b is paused while a holds 400; a leaves.
    const [a, b] = [Object.assign(new Client('a'), { heldBytes: 400 }), Object.assign(new Client('b'), { heldBytes: 700 })];
    const second = new MemoryBudget(1000);
    second.update(a);
    second.update(b);
    expect(b.paused).toBe(true);
    second.remove(a);
    expect(b.paused).toBe(false);
  });
});

describe('the read quota', () => {
  test('grants lines up to the turn quota and the requests in flight, and refills next turn', async () => {
    const quota = new ReadQuota(10, 15);
    expect(quota.take(8)).toBe(8);
    expect(quota.take(8)).toBe(2);
    quota.giveBack(1);
    expect(quota.take(8)).toBe(1);
    await new Promise<void>((resolve) => quota.wait(resolve));
    // A new turn: 10 lines, but only 15 - 10 in flight.
    expect(quota.take(10)).toBe(5);
    for (let i = 0; i < 5; i++) quota.answered();
    await new Promise<void>((resolve) => quota.wait(resolve));
    expect(quota.take(10)).toBe(5);
  });
});

describe('a line reader with a limit per call', () => {
  test('keeps the lines past the limit for the next call, in order, with what arrives meanwhile', () => {
    const reader = new LineReader(100);
    const lines: string[] = [];
    const sink = { line: (line: string) => lines.push(line) };
    expect(reader.push(Buffer.from('a\r\nb\r\nc\r\nd'), sink, 2)).toBe(2);
    expect(lines).toEqual(['a', 'b']);
    expect(reader.backlogged).toBe(true);
    expect(reader.pending).toBe(4);
    expect(reader.push(Buffer.from('e\r\n'), sink, 2)).toBe(2);
    expect(lines).toEqual(['a', 'b', 'c', 'de']);
    expect(reader.backlogged).toBe(false);
    expect(reader.push(undefined, sink, 2)).toBe(0);
  });
});
