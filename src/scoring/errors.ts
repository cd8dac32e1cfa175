/**
 * Thrown when the method is given figures it must refuse (points outside
 * [0, maximum] or with more than two decimals, unknown criteria, duplicate
 * entries, inconsistent survey counts). Never clipped silently. The service
 * layer validates input first and maps this, if it ever escapes, to its own
 * error codes; the message already says what was wrong and what is allowed.
 */
export class ScoringInputError extends Error {
  override readonly name = 'ScoringInputError';

  constructor(message: string) {
    super(message);
  }
}
