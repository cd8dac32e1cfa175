import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Principal } from '../auth/principal';
import type { CacheChange } from '../cache/response-cache';
import type { Logger } from '../config/logger';
import type { Context } from '../context';
import type { DatabaseHealth } from '../db/database-health';
import { requestScope, type RequestScope } from '../db/pool-gate';
import { AppError, ErrorCode, toGraphQLCode } from '../errors/app-error';
import type { Services } from '../services';
import { AppraisalImport, type ImportAnswer } from './appraisal-import';
import { writeAppraisalTemplate } from './appraisal-template';
import { DocumentError, refusalBody, refusalOf } from './document-error';
import { graphqlRunner, type RunGraphQL } from './graphql-runner';
import { attachment, CSV_TYPE, XLSX_TYPE } from './labels';
import { Params } from './params';
import { prepareRankingExport } from './rankings-export';
import { prepareSatisfactionExport } from './satisfaction-export';
import { prepareScorecardExport } from './scorecard-export';

/**
 * Excel and CSV in and out (API.md, "Excel and CSV"; issue 15):
 *   GET  /export/rankings.xlsx | .csv, /export/scorecard.xlsx, /export/satisfaction.xlsx
 *   GET  /templates/appraisal.xlsx
 *   POST /import/appraisal
 * Figures are read through GraphQL as the caller (src/documents/graphql-runner.ts).
 */
export interface DocumentsDeps {
  apollo: ApolloServer<Context>;
  services: Services;
  logger: Logger;
  health: DatabaseHealth;
  /** Drops cached answers an import may have changed, as the submitExpertScores mutation does. */
  invalidate?: (change: CacheChange) => void | Promise<void>;
}

/** The request's answer when the path is one of ours, or false. */
export type DocumentsHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | false;

const PREFIXES = ['/export/', '/templates/', '/import/'];
export const DOCUMENT_ENDPOINTS = [
  'GET /export/rankings.xlsx', 'GET /export/rankings.csv', 'GET /export/scorecard.xlsx', 'GET /export/satisfaction.xlsx',
  'GET /templates/appraisal.xlsx', 'POST /import/appraisal',
];

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}


export function createDocumentsHandler(deps: DocumentsDeps): DocumentsHandler {
  const { services, logger, health } = deps;
  const run: RunGraphQL = graphqlRunner(deps.apollo, services);
  const { breakdowns } = services.documents;
  const imports = new AppraisalImport(services.documents.appraisalImport, deps.invalidate);

  async function principalOf(req: http.IncomingMessage): Promise<Principal | null> {
    let principal: Principal | null;
    try {
      principal = await services.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (e instanceof AppError && e.code !== ErrorCode.SERVICE_BUSY && e.code !== ErrorCode.SERVICE_UNAVAILABLE) {
        throw new DocumentError(401, toGraphQLCode(e.code), e.message);
      }
      throw e;
    }
    if (principal?.kind === 'kiosk') {
      throw new DocumentError(403, 'FORBIDDEN', 'A kiosk token may only submit survey responses, not read or write documents');
    }
    return principal;
  }

  /** Sends a file being written by `write` (a stream of rows). A failure after the first byte can only cut the download. */
  async function sendFile(res: http.ServerResponse, type: string, name: string, rows: number | null, write: (out: http.ServerResponse) => Promise<void>) {
    res.writeHead(200, {
      'content-type': type, 'content-disposition': attachment(name), 'cache-control': 'no-store',
      ...(rows === null ? {} : { 'x-row-count': String(rows) }),
    });
    await write(res);
    if (!res.writableEnded) res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const isImport = path === '/import/appraisal';
    const known = isImport || ['/export/rankings.xlsx', '/export/rankings.csv', '/export/scorecard.xlsx', '/export/satisfaction.xlsx', '/templates/appraisal.xlsx'].includes(path);
    if (!known) throw new DocumentError(404, 'NOT_FOUND', `No document at ${path}; the documents are ${DOCUMENT_ENDPOINTS.join(', ')}`);
    const method = isImport ? 'POST' : 'GET';
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      throw new DocumentError(405, 'BAD_USER_INPUT', `Use ${method} on ${path}`);
    }
    if (!health.ready) throw new DocumentError(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; nothing was read or stored. Retry the same request later.');
    const params = new Params(url.searchParams);
    if (isImport) {
      // The upload is bounded and judged before the token is even looked up: a refusal of its size or type is immediate.
      const answer: ImportAnswer = await imports.handle(req, params, () => principalOf(req));
      return sendJson(res, answer.status, answer.body);
    }
    const principal = await principalOf(req);
    switch (path) {
      case '/export/rankings.xlsx':
      case '/export/rankings.csv': {
        const args = {
          year: params.year(), unitKind: params.unitKind(true), domainCode: params.code('domainCode'), parentCode: params.code('parentCode'),
          version: params.version(),
        };
        const file = await prepareRankingExport(run, breakdowns, principal, args);
        const csv = path.endsWith('.csv');
        return sendFile(res, csv ? CSV_TYPE : XLSX_TYPE, file.fileName(csv ? 'csv' : 'xlsx'), file.rows, (out) => (csv ? file.writeCsv(out) : file.writeXlsx(out)));
      }
      case '/export/scorecard.xlsx': {
        const year = params.year();
        const unitCode = params.code('unitCode');
        if (unitCode === null) throw new DocumentError(400, 'BAD_USER_INPUT', 'The query parameter unitCode is required, e.g. ?unitCode=STP', 'unitCode');
        const version = params.version();
        const file = await prepareScorecardExport(run, breakdowns, principal, year, unitCode, version);
        return sendFile(res, XLSX_TYPE, file.fileName, null, (out) => file.write(out));
      }
      case '/export/satisfaction.xlsx': {
        const args = { year: params.year(), unitKind: params.unitKind(false), unitCode: params.code('unitCode'), groupBy: params.groupBy() };
        const file = await prepareSatisfactionExport(run, principal, args);
        return sendFile(res, XLSX_TYPE, file.fileName, file.rows, (out) => file.write(out));
      }
      default: {
        const year = params.year();
        const unitKind = params.unitKind(true);
        const file = await writeAppraisalTemplate.prepare(run, services, principal, year, unitKind);
        return sendFile(res, XLSX_TYPE, file.fileName, file.rows, (out) => file.write(out));
      }
    }
  }

  return (req, res, url) => {
    if (!PREFIXES.some((p) => url.pathname.startsWith(p))) return false;
    // The request's statements are charged to it and wait for a connection as a request's do (src/db/pool-gate.ts).
    const scope: RequestScope = { dbMs: 0 };
    return requestScope.run(scope, async () => {
      try {
        await handle(req, res, url);
      } catch (e) {
        const refusal = refusalOf(e);
        if (res.headersSent) {
          // The file was on its way: all a client can be told now is that it is cut short.
          if (!(e as Error & { code?: string })?.code?.startsWith?.('ERR_STREAM')) logger.error('a document failed while it was being sent', { path: url.pathname, error: String((e as Error)?.stack ?? e) });
          res.destroy();
          return;
        }
        if (!refusal) throw e;
        sendJson(res, refusal.status, refusalBody(refusal), refusal.status === 429 ? { 'retry-after': '1' } : {});
      } finally {
        scope.finished = true;
      }
    });
  };
}
