/**
 * A query the user wrote that cannot run as written; the message names the field, the value and what is
 * allowed. Kept apart from errors.ts (which needs the store) so that validating costs no database driver.
 */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly value?: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
