/**
 * Under `start --workers` a scrape reaches one worker, which asks the primary (cluster.ts) for
 * every worker's metrics added up (prom-client's cluster aggregation): the two messages of that
 * exchange, and the worker's side of it.
 */
export const METRICS_REQ = 'smev2:cluster-metrics-req';
export const METRICS_RES = 'smev2:cluster-metrics-res';

/** In a worker: the metrics of every worker, added up by the primary (prom-client's cluster aggregation). */
export function clusterMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = `${process.pid}-${Date.now()}-${Math.random()}`;
    const timer = setTimeout(() => { process.off('message', onMessage); reject(new Error('the primary did not answer in 10 s')); }, 10_000);
    const onMessage = (m: { type?: string; id?: string; body?: string; error?: string }) => {
      if (m?.type !== METRICS_RES || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve(m.body ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQ, id });
  });
}

