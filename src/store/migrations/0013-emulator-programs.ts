import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What testers program into emulated providers (issue 17), kept in the store so that every
 * process and instance on it answers alike and it survives restarts:
 * - `emulator_counters`: named counters per SID: the `{{seq}}` numbers of answer templates and
 *   the position of a `sequence` dispatch (src/providers/emulator/state.ts);
 * - `emulator_scenarios`: the state of each named scenario per SID, as WireMock's scenarios
 *   (a case may require a state and move the scenario to another; state.ts);
 * - `fault_injection`: the faults injected into a SID's provider calls, emulated or `http`,
 *   switched on and off at runtime through the admin API (src/providers/faults.ts).
 * Times are epoch milliseconds.
 */
export class EmulatorPrograms1700000000013 implements MigrationInterface {
  name = 'EmulatorPrograms1700000000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE emulator_counters (
      sid varchar(64) NOT NULL,
      name varchar(255) NOT NULL,
      value bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (sid, name)
    )`);
    await q.query(`CREATE TABLE emulator_scenarios (
      sid varchar(64) NOT NULL,
      scenario varchar(255) NOT NULL,
      state varchar(255) NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (sid, scenario)
    )`);
    await q.query(`CREATE TABLE fault_injection (
      sid varchar(64) NOT NULL PRIMARY KEY,
      spec text NOT NULL,
      enabled integer NOT NULL,
      updated_at bigint NOT NULL,
      updated_by varchar(255)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE fault_injection');
    await q.query('DROP TABLE emulator_scenarios');
    await q.query('DROP TABLE emulator_counters');
  }
}
