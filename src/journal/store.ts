export * from '../store'; // moved to src/store/ (issue 15, item 5): kept while the emulator's state (migration 0011) lands
