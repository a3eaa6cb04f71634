import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import type { Metrics } from '../metrics/metrics';

/** Counts every consumer's exchange once it is finished (its answer or fault known and journaled). */
export function metrics(m: Metrics): Stage<Exchange> {
  return async (ex, next) => {
    try {
      await next();
    } finally {
      if (ex.origin === 'consumer') m.observe(ex);
    }
  };
}
