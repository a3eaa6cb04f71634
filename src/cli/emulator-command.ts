import { loadConfig, type Flags } from '../config';
import { openStore } from '../store';
import { EmulatorState } from '../providers/emulator/state';

export const EMULATOR_USAGE = `  smev2-gateway emulator reset [--sid SID [--scenario NAME]] [--db URL]   start emulated providers over in the store:
                every SID's (or one SID's) counters, scenario states, chains; or one scenario back to Started
`;

/** emulator reset [--sid SID] [--scenario NAME]: what POST /admin/emulator/…/reset does, on the store directly. */
export async function emulatorCommand(sub: string | undefined, flags: Flags & { sid?: string; scenario?: string }): Promise<number> {
  if (sub !== 'reset' || (flags.scenario && !flags.sid)) {
    process.stderr.write(`usage:\n${EMULATOR_USAGE}`);
    return 2;
  }
  const ds = await openStore(loadConfig(flags).database);
  try {
    const state = new EmulatorState(ds, 0);
    if (flags.scenario) {
      const moved = await state.resetScenario(flags.sid!, flags.scenario);
      process.stdout.write(`${flags.sid} scenario ${flags.scenario}: Started${moved ? '' : ' (it had not moved)'}\n`);
      return 0;
    }
    const deleted = await state.reset(flags.sid);
    process.stdout.write(`${flags.sid ?? 'every SID'}: deleted ${deleted.counters} counter(s), ${deleted.scenarios} scenario state(s), ${deleted.chains} chain row(s), ${deleted.scripts} behaviour counter(s)\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}
