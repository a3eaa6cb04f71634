// The store: the database of the gateway (src/store/README.md). Everything outside src/store/
// imports it from here.
export * from './connection';
