import type { Service, Operation } from './load';

/**
 * The one rule for "is this message a poll?" (PROTOCOL.md §4): a message on the get operation of a
 * send/get pair, whatever its Status (some services send REQUEST there), or a PING on any
 * operation. The queue stage, the emulator and the delivery worker all ask this.
 */
export function isPoll(operation: Pick<Operation, 'mode'>, status: string | undefined): boolean {
  return operation.mode === 'async-get' || status === 'PING';
}

/** The operation that polls what `sent` started: the pair's get operation, or `sent` itself (async). */
export function pollOperation(service: Pick<Service, 'operations'>, sent: Operation): Operation | undefined {
  return sent.mode === 'async-send' ? service.operations.find((o) => o.mode === 'async-get') : sent;
}
