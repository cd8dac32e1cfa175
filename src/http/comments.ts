/**
 * A GraphQL document's comments (`#` to the end of the line, but not in a
 * string or a block string) mean nothing to GraphQL, yet a comment of its
 * own on each request (a `#nonce`) makes every text new to whatever keys
 * documents by their text. Two ways to set them aside: the prepared path
 * keys a document by its text without them (keyText), and Apollo is
 * given the text with them blanked (blankComments): its store of parsed and
 * validated documents, keyed by the text's hash, then knows a document sent
 * again with another comment of the same length, while every position in it
 * (an error's line and column) stays the same.
 */

/**
 * The text without its comments, nor the blanks (spaces, tabs) that end
 * its lines, outside strings and block strings: what the prepared path
 * keys a document by. A text and its blanked form (blankComments, what
 * Apollo was given) have the same key, whatever the length of their
 * comments.
 */
export function keyText(text: string): string {
  if (!text.includes('#') && !/[ \t](?:[\r\n]|$)/.test(text)) return text;
  return rewriteOutsideStrings(text, (t, i) => {
    if (t[i] === '#') return { end: lineEnd(t, i), by: '' };
    if (t[i] !== ' ' && t[i] !== '\t') return undefined;
    let end = i;
    while (end < t.length && (t[end] === ' ' || t[end] === '\t')) end++;
    // Blanks before the line's end (or before a comment, which runs to it) go; others stay.
    const ending = end >= t.length || t[end] === '\n' || t[end] === '\r' || t[end] === '#';
    return { end, by: ending ? '' : undefined };
  });
}

/** The text with each comment's characters (UTF-16 units) turned to spaces: no position moves. */
export function blankComments(text: string): string {
  if (!text.includes('#')) return text;
  return rewriteOutsideStrings(text, (t, i) => {
    if (t[i] !== '#') return undefined;
    const end = lineEnd(t, i);
    return { end, by: ' '.repeat(end - i) };
  });
}

/** Where the line that holds `i` ends: its \n or \r, or the text's end. */
function lineEnd(text: string, i: number): number {
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

/** Where the string or block string that starts at `i` (a `"`) ends: just after its closing quote(s), or past the end. */
function afterString(text: string, i: number): number {
  if (text.startsWith('"""', i)) {
    // A block string: to the next """ that is not escaped (\""").
    i += 3;
    while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
    return i + 3;
  }
  // A string: to the next unescaped ", or the end of the line (a syntax error Apollo will state).
  i++;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n' && text[i] !== '\r') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * The text with spans outside its strings and block strings rewritten:
 * `span` names the span that starts at `i`, if any (where it ends, and its
 * replacement: `by` undefined keeps it as it is); everything else stays.
 */
function rewriteOutsideStrings(
  text: string, span: (text: string, i: number) => { end: number; by: string | undefined } | undefined,
): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i = afterString(text, i);
      continue;
    }
    const found = span(text, i);
    if (found === undefined) {
      i++;
    } else {
      if (found.by !== undefined) {
        out += text.slice(from, i) + found.by;
        from = found.end;
      }
      i = found.end;
    }
  }
  return out + text.slice(Math.min(from, text.length));
}

/**
 * A GraphQL HTTP request's body and query string with the comments of every
 * document blanked (blankComments), for Apollo: the same operations, the
 * same positions. Anything that is not a document is passed as it is.
 */
export function blankRequestComments(body: unknown, search: string): { body: unknown; search: string } {
  const blankOne = (b: unknown): unknown => {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return b;
    const query = (b as { query?: unknown }).query;
    if (typeof query !== 'string' || !query.includes('#')) return b;
    return { ...(b as object), query: blankComments(query) };
  };
  const blankedBody = Array.isArray(body) ? body.map(blankOne) : blankOne(body);
  if (!search.includes('%23') && !search.includes('#')) return { body: blankedBody, search };
  const params = new URLSearchParams(search);
  const queries = params.getAll('query');
  if (queries.length !== 1 || !queries[0].includes('#')) return { body: blankedBody, search };
  const query = queries[0];
  params.set('query', blankComments(query));
  return { body: blankedBody, search: `?${params.toString()}` };
}
