import ExcelJS from 'exceljs';
import { ADMIN_TOKEN, type TestService } from '../support/test-service';

/** HTTP helpers of the Excel and CSV tests (issue 15). */
export const baseOf = (t: TestService) => t.url.replace(/\/graphql$/, '');

export async function download(t: TestService, path: string, token: string | null = ADMIN_TOKEN) {
  const res = await fetch(baseOf(t) + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

export async function upload(t: TestService, path: string, file: Buffer, fields: Record<string, string> = {}, token: string | null = ADMIN_TOKEN) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file]), 'phieu.xlsx');
  const started = Date.now();
  const res = await fetch(baseOf(t) + path, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, ms: Date.now() - started, body: JSON.parse(text) };
}

export async function readXlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

export async function writeXlsx(wb: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A cell's plain value (a formula's result). */
export function valueOf(cell: ExcelJS.Cell): unknown {
  const v = cell.value as unknown;
  if (v && typeof v === 'object' && 'result' in (v as object)) return (v as { result: unknown }).result;
  return v ?? null;
}
