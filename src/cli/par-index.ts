import { createReadStream, createWriteStream, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';

/**
 * `npx par-index`: the Excel and CSV endpoints from a shell, for provincial
 * IT staff who script (issue 15). It talks to a running service over HTTP
 * (`--url`, or PAR_INDEX_URL; default http://127.0.0.1:4000) with the token
 * in PAR_INDEX_TOKEN, and imports nothing of the service itself.
 *
 *   par-index export rankings --year 2024 --kind DISTRICT --out file.xlsx [--domain LV3] [--parent X] [--progress]
 *   par-index export scorecard --year 2024 --unit STP --out phieu.xlsx
 *   par-index export satisfaction --year 2024 [--kind DEPARTMENT | --unit STP] [--group-by MONTH] --out hl.xlsx
 *   par-index template appraisal --year 2024 --kind DEPARTMENT --out mau.xlsx
 *   par-index import appraisal file.xlsx --round APPRAISAL [--dry-run] [--panelist NAME] [--progress]
 */
const KINDS = ['DEPARTMENT', 'DISTRICT', 'COMMUNE'];
const ROUNDS = ['SELF_ASSESSMENT', 'APPRAISAL', 'REAPPRAISAL'];
const GROUPS = ['QUESTION', 'ELEMENT', 'MONTH', 'KIOSK', 'PROCEDURE'];

class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}

const year = (v: string) => {
  if (!/^\d{4}$/.test(v)) throw new InvalidArgumentError('a year such as 2024');
  return v;
};
const oneOf = (values: string[]) => (v: string) => {
  const up = v.toUpperCase();
  if (!values.includes(up)) throw new InvalidArgumentError(`one of ${values.join(', ')}`);
  return up;
};

interface Common { url: string; progress?: boolean }

function endpoint(url: string, path: string, query: Record<string, string | undefined>): URL {
  const u = new URL(path, url.endsWith('/') ? url : `${url}/`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
  return u;
}

function headers(): Record<string, string> {
  const token = process.env.PAR_INDEX_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}

function request(url: URL, options: http.RequestOptions): http.ClientRequest {
  return (url.protocol === 'https:' ? https : http).request(url, options);
}

/** The refusal a service answered, said in one line. */
function refusal(status: number, text: string): CliError {
  try {
    const body = JSON.parse(text) as { errors?: { message: string; sheet?: string | null; cell?: string | null }[] };
    const messages = (body.errors ?? []).map((e) => (e.cell ? `${e.sheet}!${e.cell}: ${e.message}` : e.message));
    return new CliError(`HTTP ${status}: ${messages.join('\n') || text}`);
  } catch {
    return new CliError(`HTTP ${status}: ${text.slice(0, 500)}`);
  }
}

function bar(enabled: boolean | undefined, format: string): SingleBar | null {
  if (!enabled) return null;
  return new SingleBar({ format, hideCursor: true, stream: process.stderr, etaBuffer: 50 }, Presets.shades_classic);
}

/** Downloads a document to `out`, showing bytes (and rows, when the service says how many) with --progress. */
async function download(url: URL, out: string, opts: Common): Promise<void> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    request(url, { headers: headers() }).on('response', resolve).on('error', reject).end();
  });
  if (res.statusCode !== 200) {
    let text = '';
    for await (const c of res) text += c;
    throw refusal(res.statusCode ?? 0, text);
  }
  const rows = Number(res.headers['x-row-count'] ?? NaN);
  const declared = Number(res.headers['content-length'] ?? NaN);
  // Streamed files carry no length: the bar's end is estimated from the rows and moved as bytes arrive.
  let total = Number.isFinite(declared) ? declared : Number.isFinite(rows) ? Math.max(8192, rows * 160) : 65536;
  const progress = bar(opts.progress, `${basename(out)} {bar} {kib} KiB${Number.isFinite(rows) ? ` | ${rows} dòng/rows` : ''}`);
  progress?.start(total, 0, { kib: 0 });
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > total) total = Math.ceil(received * 1.1);
      progress?.setTotal(total);
      progress?.update(received, { kib: Math.round(received / 1024) });
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, createWriteStream(out));
  } finally {
    progress?.setTotal(received);
    progress?.update(received, { kib: Math.round(received / 1024) });
    progress?.stop();
  }
  process.stderr.write(`${out}: ${received} bytes${Number.isFinite(rows) ? `, ${rows} rows` : ''}\n`);
}

/** Uploads the sheet as multipart/form-data, streamed from disk, showing the bytes sent with --progress. */
async function importAppraisal(file: string, opts: Common & { round: string; dryRun?: boolean; panelist?: string; json?: boolean }): Promise<void> {
  const size = statSync(file).size;
  const boundary = `----par-index-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    (opts.panelist ? `--${boundary}\r\nContent-Disposition: form-data; name="panelist"\r\n\r\n${opts.panelist}\r\n` : '')
    + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(file).replace(/"/g, '')}"\r\n`
    + 'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = endpoint(opts.url, 'import/appraisal', { round: opts.round, dryRun: opts.dryRun ? 'true' : undefined });
  const progress = bar(opts.progress, `${basename(file)} {bar} {percentage}% | {value}/{total} bytes {phase}`);
  progress?.start(size, 0, { phase: '' });
  const started = Date.now();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
    });
    req.on('response', async (res) => {
      let body = '';
      for await (const c of res) body += c;
      resolve({ status: res.statusCode ?? 0, text: body });
    });
    req.on('error', reject);
    req.write(head);
    let sent = 0;
    const stream = createReadStream(file);
    stream.on('data', (chunk) => {
      sent += chunk.length;
      progress?.update(sent, { phase: sent === size ? '— đang kiểm tra / validating…' : '' });
      if (!req.write(chunk)) {
        stream.pause();
        req.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => req.end(tail));
    stream.on('error', reject);
  });
  progress?.update(size, { phase: `— ${Date.now() - started} ms` });
  progress?.stop();
  if (opts.json) process.stdout.write(`${text}\n`);
  if (status !== 200) throw refusal(status, text);
  const a = JSON.parse(text) as { applied: number; dryRun: boolean; units: number; scores: number; adjustments: number; changes: { new: number; changed: number; unchanged: number }; ms: number; stale: boolean };
  if (!opts.json) {
    process.stdout.write(`${a.dryRun ? 'Dry run: would apply' : 'Applied'} ${a.units} units, ${a.scores} scores, ${a.adjustments} bonus/penalty `
      + `(new ${a.changes.new}, changed ${a.changes.changed}, unchanged ${a.changes.unchanged}) in ${a.ms} ms${a.stale ? '; figures are being recomputed' : ''}\n`);
  }
}

export function program(): Command {
  const cli = new Command('par-index')
    .description('Excel and CSV in and out of a running PAR INDEX service (token in PAR_INDEX_TOKEN)')
    .addOption(new Option('--url <url>', 'the service').env('PAR_INDEX_URL').default('http://127.0.0.1:4000'))
    .showHelpAfterError();
  const common = (c: Command) => c.option('--progress', 'show a progress bar on stderr');
  const run = (f: (...args: any[]) => Promise<void>) => async (...args: any[]) => f(...args);
  const opts = (cmd: Command) => ({ ...cli.opts(), ...cmd.opts() }) as Common & Record<string, string | boolean | undefined>;

  const exp = cli.command('export').description('download a ranking appendix, a scorecard or satisfaction statistics');
  common(exp.command('rankings').description('the ranking as a decision appendix (.xlsx, or .csv by --out name or --format)')
    .requiredOption('--year <year>', 'year', year).requiredOption('--kind <kind>', KINDS.join(' | '), oneOf(KINDS))
    .option('--domain <code>', 'rank by this domain').option('--parent <code>', 'only units under this parent')
    .addOption(new Option('--format <format>').choices(['xlsx', 'csv']))
    .requiredOption('--out <file>', 'where to write it'))
    .action(run(async (_o, cmd: Command) => {
      const o = opts(cmd);
      const format = (o.format as string | undefined) ?? (String(o.out).toLowerCase().endsWith('.csv') ? 'csv' : 'xlsx');
      await download(endpoint(o.url, `export/rankings.${format}`, { year: o.year as string, unitKind: o.kind as string, domainCode: o.domain as string, parentCode: o.parent as string }), String(o.out), o);
    }));
  common(exp.command('scorecard').description("one unit's result, leaf by leaf")
    .requiredOption('--year <year>', 'year', year).requiredOption('--unit <code>', 'unit code').requiredOption('--out <file>', 'where to write it'))
    .action(run(async (_o, cmd: Command) => {
      const o = opts(cmd);
      await download(endpoint(o.url, 'export/scorecard.xlsx', { year: o.year as string, unitCode: o.unit as string }), String(o.out), o);
    }));
  common(exp.command('satisfaction').description('satisfaction statistics')
    .requiredOption('--year <year>', 'year', year).option('--kind <kind>', KINDS.join(' | '), oneOf(KINDS)).option('--unit <code>', 'unit code')
    .option('--group-by <grouping>', GROUPS.join(' | '), oneOf(GROUPS)).requiredOption('--out <file>', 'where to write it'))
    .action(run(async (_o, cmd: Command) => {
      const o = opts(cmd);
      await download(endpoint(o.url, 'export/satisfaction.xlsx', { year: o.year as string, unitKind: o.kind as string, unitCode: o.unit as string, groupBy: o.groupBy as string }), String(o.out), o);
    }));
  common(cli.command('template').description('download the sheet appraisers fill in').argument('<name>', 'appraisal')
    .requiredOption('--year <year>', 'year', year).requiredOption('--kind <kind>', KINDS.join(' | '), oneOf(KINDS)).requiredOption('--out <file>', 'where to write it'))
    .action(run(async (name: string, _o, cmd: Command) => {
      if (name !== 'appraisal') throw new CliError(`unknown template "${name}": the one template is "appraisal"`, 2);
      const o = opts(cmd);
      await download(endpoint(o.url, 'templates/appraisal.xlsx', { year: o.year as string, unitKind: o.kind as string }), String(o.out), o);
    }));
  common(cli.command('import').description('import a filled-in appraisal sheet (all or nothing)')
    .argument('<what>', 'appraisal').argument('<file>', 'the .xlsx')
    .requiredOption('--round <round>', ROUNDS.join(' | '), oneOf(ROUNDS))
    .option('--dry-run', 'say what would change, store nothing').option('--panelist <name>', 'ADMIN only: whose scores these are')
    .option('--json', "print the service's JSON answer"))
    .action(run(async (what: string, file: string, _o, cmd: Command) => {
      if (what !== 'appraisal') throw new CliError(`unknown import "${what}": the one import is "appraisal"`, 2);
      const o = opts(cmd);
      await importAppraisal(file, { ...o, round: String(o.round), dryRun: Boolean(o.dryRun), panelist: o.panelist as string | undefined, json: Boolean(o.json) });
    }));
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`par-index: ${(e as Error).message}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  }
}
