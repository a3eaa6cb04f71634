import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The emulated providers' state in the store (src/providers/emulator/state.ts), so that any
 * process of `start --workers` and any instance on one store answers any leg of an emulated
 * asynchronous chain, and counts its PROCESS answers and a case's scripted failures once.
 *
 * `emulator_chains`: one row per name a PING may give a chain, per SID. The row whose `key` is
 * its `origin` (the node MessageId of the REQUEST that opened the chain) holds the chain's
 * counter of PROCESS answers; the rows of the tickets written in a case's accept.xml point to
 * the latest chain of that case through `origin`. `emulator_scripts`: the calls of a case with a
 * scripted failure (`behaviour:` failFirst / failForSeconds), keyed by the case and a digest of
 * its behaviour, so an edited script counts afresh. Times are epoch milliseconds; rows past
 * `expires_at` are not used and are purged.
 */
export class EmulatorState1700000000011 implements MigrationInterface {
  name = 'EmulatorState1700000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE emulator_chains (
      sid varchar(64) NOT NULL,
      key varchar(255) NOT NULL,
      origin varchar(255) NOT NULL,
      case_name varchar(255) NOT NULL,
      created_at bigint NOT NULL,
      polls integer NOT NULL DEFAULT 0,
      expires_at bigint NOT NULL,
      PRIMARY KEY (sid, key)
    )`);
    await q.query('CREATE INDEX emulator_chains_expires ON emulator_chains (expires_at)');
    await q.query(`CREATE TABLE emulator_scripts (
      sid varchar(64) NOT NULL,
      case_name varchar(255) NOT NULL,
      fingerprint char(64) NOT NULL,
      calls integer NOT NULL,
      since bigint NOT NULL,
      expires_at bigint NOT NULL,
      PRIMARY KEY (sid, case_name, fingerprint)
    )`);
    await q.query('CREATE INDEX emulator_scripts_expires ON emulator_scripts (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE emulator_scripts');
    await q.query('DROP TABLE emulator_chains');
  }
}
