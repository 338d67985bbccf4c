import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** The statements of one log table, each prepared on first use and returning rows as arrays. */
export class TableStatements {
  readonly #db: DatabaseSync;
  readonly #prepared = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The statement called `name`, prepared from `sql()` the first time. */
  get(name: string, sql: () => string): StatementSync {
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      statement = this.#db.prepare(sql());
      statement.setReturnArrays(true);
      this.#prepared.set(name, statement);
    }
    return statement;
  }
}
