// Opens better-sqlite3 databases whose native objects are never garbage-collected.
// Why: better-sqlite3 12 wraps Database and Statement in node::ObjectWrap; on Node >= 24.19 the
// destructor that GC runs for an unreachable Statement calls RemoveEnvironmentCleanupHook outside
// a Node context and aborts the process (`Assertion failed: (env) != nullptr`, SIGABRT) — seen here
// at start-up of `serve` on Node 24.21 and reported publicly for 12.x (13.x moved to Node-API but
// needs Node >= 22, and we support 20.19). So every Database and Statement this process creates is
// held for the life of the process: statements are prepared once per connection anyway, and
// `pragma()` (which prepares a throw-away statement natively) is replaced by exec().
import Database from 'better-sqlite3'

/** Process-lifetime references; never cleared (a handful per opened store). */
const RETAINED: object[] = []

export type SqliteDatabase = Database.Database
export type SqliteStatement = Database.Statement

/** Open a connection whose prepared statements are retained for the life of the process. */
export function openRetainedDatabase(path: string, options?: Database.Options): SqliteDatabase {
  const db = new Database(path, options)
  RETAINED.push(db)
  const prepare = db.prepare.bind(db) as SqliteDatabase['prepare']
  // Own property shadows Database.prototype.prepare for this connection only.
  db.prepare = ((source: string) => {
    const statement = prepare(source)
    RETAINED.push(statement)
    return statement
  }) as SqliteDatabase['prepare']
  return db
}

/** Set a pragma without creating a Statement object (see the header). */
export function setPragma(db: SqliteDatabase, assignment: string): void {
  db.exec(`PRAGMA ${assignment}`)
}
