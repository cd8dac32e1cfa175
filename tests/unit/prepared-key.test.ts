import { Lexer, parse, print, Source, TokenKind } from 'graphql';
import { blankComments, blankRequestComments, keyText } from '../../src/http/comments';

/**
 * The prepared path keys a document by its text without comments
 * (src/http/prepared-operations.ts, keyText): removing them must leave the same
 * document (what graphql-js parses, printed), strings and block strings
 * untouched, however a `#` or a quote sits in them.
 */
const DOCUMENTS = [
  'query { units(first: 2) { edges { node { code } } } }',
  'query { units(first: 2) { edges { node { code } } } } # nonce 12345',
  '# a leading comment\nquery Q($q: String!) { units(search: $q) { edges { node { code } } } }',
  'query { units(search: "xã # 12", first: 1) { edges { node { name } } } } #x',
  'query { units(search: "a \\" # b", first: 1) { edges { node { name } } } }\n# trailing',
  'query { units(search: """block # "quoted" \\""" still # in""", first: 1) { edges { node { code } } } } # c',
  'query {\r\n  units(first: 1) # a comment on a CRLF line\r\n  { edges { node { code } } }\r\n}',
  'query A { __typename } # one\n# two\nquery B { __typename }',
];

/** The kinds of a text's tokens, comments included: graphql-js's lexer links comments into its token list. */
function kinds(source: string): string[] {
  const lexer = new Lexer(new Source(source));
  const out: string[] = [];
  for (let t = lexer.token; t.kind !== TokenKind.EOF; t = t.next ?? lexer.advance()) {
    out.push(t.kind);
    if (!t.next) lexer.advance();
  }
  return out;
}

test.each(DOCUMENTS)('removing the comments of %j leaves the same document', (text) => {
  const stripped = keyText(text);
  expect(print(parse(stripped))).toBe(print(parse(text)));
  // Every comment is gone; none is left.
  expect(kinds(text).includes(TokenKind.COMMENT)).toBe(stripped !== text);
  expect(kinds(stripped)).not.toContain(TokenKind.COMMENT);
  expect(kinds(stripped).length).toBe(kinds(text).filter((k) => k !== TokenKind.COMMENT).length);
});

test('two texts that differ only in their comments share a key; a # inside a string is not a comment', () => {
  expect(keyText('{ a } #1')).toBe(keyText('{ a } #2'));
  expect(keyText('{ a(s: "#1") }')).not.toBe(keyText('{ a(s: "#2") }'));
  expect(keyText('{ a(s: """#1""") }')).not.toBe(keyText('{ a(s: """#2""") }'));
  expect(keyText('{ a }')).toBe('{ a }');
});

test.each(DOCUMENTS)('blanking the comments of %j keeps the document and every token where it was', (text) => {
  const blanked = blankComments(text);
  expect(blanked.length).toBe(text.length);
  expect(print(parse(blanked))).toBe(print(parse(text)));
  const tokens = (source: string) => {
    const lexer = new Lexer(new Source(source));
    const out: string[] = [];
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) out.push(`${t.kind}@${t.start}:${t.line}:${t.column}`);
    return out;
  };
  // The lexer's advance() skips comments: the same tokens at the same offsets, lines and columns.
  expect(tokens(blanked)).toEqual(tokens(text));
  // No comment is left.
  expect(kinds(blanked)).not.toContain(TokenKind.COMMENT);
});

test('comments of one length blank to one text; the request\'s other members and a GET\'s other parameters are kept', () => {
  expect(blankComments('#a1\n{ a }')).toBe(blankComments('#b2\n{ a }'));
  expect(blankComments('#a1\n{ a }')).not.toBe(blankComments('#a12\n{ a }'));
  const body = { query: '#n1\nquery Q { a }', operationName: 'Q', variables: { x: '#1' } };
  expect(blankRequestComments(body, '').body).toEqual({ query: '   \nquery Q { a }', operationName: 'Q', variables: { x: '#1' } });
  expect(blankRequestComments([body, { query: '{ b }' }], '').body).toEqual([{ ...body, query: '   \nquery Q { a }' }, { query: '{ b }' }]);
  const noComment = { query: '{ a }' };
  expect(blankRequestComments(noComment, '').body).toBe(noComment);
  const search = `?query=${encodeURIComponent('#n\n{ a }')}&variables=${encodeURIComponent('{"x":"#"}')}`;
  const params = new URLSearchParams(blankRequestComments(undefined, search).search);
  expect(params.get('query')).toBe('  \n{ a }');
  expect(params.get('variables')).toBe('{"x":"#"}');
});

test.each(DOCUMENTS)('the prepared key of %j is that of its blanked form, and the same document', (text) => {
  expect(keyText(blankComments(text))).toBe(keyText(text));
  expect(print(parse(keyText(text)))).toBe(print(parse(text)));
});

test('the key sets aside comments of any length and the blanks ending lines, never a blank inside a string', () => {
  expect(keyText('{ a # one\n b }')).toBe(keyText('{ a # a much longer one\n b }'));
  expect(keyText('{ a   \t\n b }  ')).toBe('{ a\n b }');
  expect(keyText('{ a(s: "x  ") }')).toBe('{ a(s: "x  ") }');
  expect(keyText('{ a(s: """line  \n  next""") }')).toBe('{ a(s: """line  \n  next""") }');
  expect(keyText('{ a(s: """x  \n""") }')).not.toBe(keyText('{ a(s: """x\n""") }'));
});
