import { UnitKind } from '../entities/enums';

/** How a decision names each block of units ("khối"). */
export const KIND_TITLE: Record<UnitKind, string> = {
  [UnitKind.DEPARTMENT]: 'Khối sở, ban, ngành cấp tỉnh',
  [UnitKind.DISTRICT]: 'Khối UBND cấp huyện',
  [UnitKind.COMMUNE]: 'Khối UBND cấp xã',
};

/** Number formats: two decimals shown (the stored number keeps its value), whole ranks, signed rank changes. */
export const FORMAT = { points: '0.00', int: '0', change: '+0;-0;0', rate: '0.00%', decimal4: '0.0000' } as const;

/** A file name safe in a Content-Disposition header, with the UTF-8 form beside it. */
export function attachment(name: string): string {
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9._-]+/g, '-');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';
