import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search over the journal (the admin API's journal search): the text of each leg's AppData in
 * `search_text`, indexed for words (SQLite FTS5, kept in step by triggers; PostgreSQL a GIN index
 * over the 'simple' tsvector), and an index per filter so that a page of the newest matching
 * entries is an index range read, whatever the journal's size (bench/journal-search.ts).
 * On SQLite an index on one column carries the rowid, so `WHERE sender = ? ORDER BY id DESC` reads
 * it in order; PostgreSQL gets the id as the second column.
 * Retention empties `search_text` with the raw bytes: the text of a message is part of its body.
 */
export class JournalSearch1700000000008 implements MigrationInterface {
  name = 'JournalSearch1700000000008';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query('ALTER TABLE journal ADD COLUMN search_text text');
    for (const c of FILTER_COLUMNS) await q.query(`CREATE INDEX journal_by_${c} ON journal (${c}${pg ? ', id' : ''})`);
    if (pg) {
      await q.query("CREATE INDEX journal_search_text ON journal USING gin (to_tsvector('simple', search_text))");
      return;
    }
    await q.query("CREATE VIRTUAL TABLE journal_fts USING fts5(search_text, content='journal', content_rowid='id', tokenize='unicode61 remove_diacritics 2')");
    await q.query(`CREATE TRIGGER journal_fts_insert AFTER INSERT ON journal WHEN new.search_text IS NOT NULL BEGIN
      INSERT INTO journal_fts (rowid, search_text) VALUES (new.id, new.search_text); END`);
    await q.query(`CREATE TRIGGER journal_fts_update AFTER UPDATE OF search_text ON journal BEGIN
      INSERT INTO journal_fts (journal_fts, rowid, search_text) SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
      INSERT INTO journal_fts (rowid, search_text) SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL; END`);
    await q.query(`CREATE TRIGGER journal_fts_delete AFTER DELETE ON journal WHEN old.search_text IS NOT NULL BEGIN
      INSERT INTO journal_fts (journal_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END`);
  }

  async down(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    if (pg) await q.query('DROP INDEX journal_search_text');
    else {
      for (const t of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER journal_fts_${t}`);
      await q.query('DROP TABLE journal_fts');
    }
    for (const c of FILTER_COLUMNS) await q.query(`DROP INDEX journal_by_${c}`);
    await q.query('ALTER TABLE journal DROP COLUMN search_text');
  }
}

/** Columns the journal search filters on that had no index of their own. */
const FILTER_COLUMNS = ['sid', 'operation', 'sender', 'recipient', 'status', 'fault_code', 'direction'];
