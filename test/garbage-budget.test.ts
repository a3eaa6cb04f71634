import { compose, type Stage } from '../src/pipeline/compose';
import { GarbageBudget } from '../src/pipeline/memory';

describe('a large exchange\'s garbage given back between stages (pipeline/memory.ts)', () => {
  test('compose calls `between` before each stage and after each has finished, in order, also when a stage throws', async () => {
    const seen: string[] = [];
    const stage = (name: string, fail = false): Stage<{ n: number }> => async (_c, next) => {
      seen.push(`${name} in`);
      if (fail) throw new Error(`${name} failed`);
      await next();
      seen.push(`${name} out`);
    };
    const run = compose([stage('a'), stage('b'), stage('c', true)], { between: () => seen.push('|') });
    await expect(run({ n: 0 })).rejects.toThrow('c failed');
    expect(seen).toEqual(['|', 'a in', '|', 'b in', '|', 'c in', '|', '|', '|']);
  });

  test('a small exchange never collects; a large one collects once resident memory grew past the budget, and not again until it grows again', () => {
    const budget = new GarbageBudget({ largeBytes: 1024 * 1024, budgetBytes: 8 * 1024 * 1024 });
    let held: Buffer | undefined = Buffer.alloc(64 * 1024 * 1024, 1); // touched: resident
    budget.between(1000);
    expect(budget.collections).toBe(0);
    budget.between(2 * 1024 * 1024);
    expect(budget.collections).toBe(1);
    budget.between(2 * 1024 * 1024);
    expect(budget.collections).toBe(1);
    held = undefined;
    expect(held).toBeUndefined();
  });

  test('once a large exchange\'s answer has gone, one collection runs on the next turn whatever the budget says; a small one\'s end never collects', async () => {
    const budget = new GarbageBudget({ largeBytes: 1024 * 1024, budgetBytes: 1024 * 1024 * 1024 });
    budget.settled(1000);
    await new Promise((r) => setImmediate(r));
    expect(budget.collections).toBe(0);
    budget.settled(2 * 1024 * 1024);
    expect(budget.collections).toBe(0); // not in the frame that still holds the exchange
    await new Promise((r) => setImmediate(r));
    expect(budget.collections).toBe(1);
  });

  test('a budget of 0 turns it off', () => {
    const budget = new GarbageBudget({ largeBytes: 1, budgetBytes: 0 });
    const held = Buffer.alloc(32 * 1024 * 1024, 1);
    budget.between(held.length);
    expect(budget.collections).toBe(0);
  });
});
