import { Journal1700000000001 } from './0001-journal';
import { SignatureVerdicts1700000000002 } from './0002-signature-verdicts';
import { ControlVerdicts1700000000003 } from './0003-control-verdicts';
import { OutboxChains1700000000004 } from './0004-outbox-chains';
import { HashChainRetention1700000000005 } from './0005-hash-chain-retention';
import { ExchangeIdWidth1700000000006 } from './0006-exchange-id-width';
import { ReplayGuard1700000000007 } from './0007-replay-guard';
import { JournalSearch1700000000008 } from './0008-journal-search';
import { RefusedBodies1700000000009 } from './0009-refused-bodies';
import { AdminSessions1700000000010 } from './0010-admin-sessions';
import { EmulatorState1700000000011 } from './0011-emulator-state';
import { AttachmentBlobs1700000000012 } from './0012-attachment-blobs';
import { EmulatorPrograms1700000000013 } from './0013-emulator-programs';
import { ManualInbox1700000000014 } from './0014-manual-inbox';
import { ViolationCounts1700000000015 } from './0015-violation-counts';
import { ComposedRequests1700000000016 } from './0016-composed-requests';
import { JournalBodiesByHash1700000000018 } from './0018-journal-bodies-by-hash';
import { BlobRecipes1700000000019 } from './0019-blob-recipes';

/** Every schema change, in order: run at start (src/store/connection.ts) and by `smev2-gateway migrate`. One file each here. */
export const MIGRATIONS = [Journal1700000000001, SignatureVerdicts1700000000002, ControlVerdicts1700000000003, OutboxChains1700000000004, HashChainRetention1700000000005, ExchangeIdWidth1700000000006, ReplayGuard1700000000007, JournalSearch1700000000008,
  RefusedBodies1700000000009, AdminSessions1700000000010, EmulatorState1700000000011, AttachmentBlobs1700000000012, EmulatorPrograms1700000000013,
  ManualInbox1700000000014, ViolationCounts1700000000015, ComposedRequests1700000000016, JournalBodiesByHash1700000000018,
  BlobRecipes1700000000019];
