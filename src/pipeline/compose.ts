/**
 * The onion (koa-compose / Hono): each stage gets the exchange and a `next` that runs the rest of
 * the list, so a stage can act on the request before `await next()` and on the answer after it.
 * `between` is called before each stage and after each has finished (pipeline/memory.ts).
 */
export type Next = () => Promise<void>;
export type Stage<C> = (ctx: C, next: Next) => Promise<void>;

export function compose<C>(stages: readonly Stage<C>[], o: { between?: (ctx: C) => void } = {}): (ctx: C) => Promise<void> {
  const between = o.between;
  return (ctx) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new Error('next() called more than once in one stage'));
      last = i;
      const stage = stages[i];
      if (!stage) return Promise.resolve();
      try {
        if (!between) return stage(ctx, () => dispatch(i + 1));
        // `between` runs before each stage on the way in and after each on the way back
        between(ctx);
        return stage(ctx, () => dispatch(i + 1)).finally(() => between(ctx));
      } catch (e) {
        return Promise.reject(e);
      }
    };
    return dispatch(0);
  };
}
