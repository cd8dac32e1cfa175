import { ScoreRound, UnitKind } from '../entities/enums';
import { SatisfactionGrouping } from '../survey/satisfaction.service';
import { quoted } from '../util/text';
import { badParam, DocumentError } from './document-error';

/** The query parameters of the Excel and CSV endpoints, checked before anything is read; each refusal names its parameter. */
export class Params {
  constructor(private readonly search: URLSearchParams) {}

  optional(name: string): string | null {
    const v = this.search.get(name);
    return v === null || v.trim() === '' ? null : v.trim();
  }

  required(name: string, example: string): string {
    const v = this.optional(name);
    if (v === null) throw badParam(name, `The query parameter ${name} is required, e.g. ?${name}=${example}`);
    return v;
  }

  year(): number {
    const raw = this.required('year', '2024');
    if (!/^\d{4}$/.test(raw) || Number(raw) < 2000 || Number(raw) > 2100) {
      throw badParam('year', `year ${quoted(raw)} is not a year: give a whole number from 2000 to 2100`);
    }
    return Number(raw);
  }

  private oneOf<T extends string>(name: string, raw: string, values: readonly T[]): T {
    if (!(values as readonly string[]).includes(raw)) throw badParam(name, `${name} ${quoted(raw)} is not allowed: use one of ${values.join(', ')}`);
    return raw as T;
  }

  unitKind(required: true): UnitKind;
  unitKind(required: false): UnitKind | null;
  unitKind(required: boolean): UnitKind | null {
    const raw = required ? this.required('unitKind', 'DISTRICT') : this.optional('unitKind');
    return raw === null ? null : this.oneOf('unitKind', raw, Object.values(UnitKind));
  }

  code(name: string): string | null {
    const raw = this.optional(name);
    if (raw !== null && raw.length > 64) throw badParam(name, `${name} ${quoted(raw)} is longer than a code may be (64 characters)`);
    return raw;
  }

  groupBy(): SatisfactionGrouping {
    const raw = this.optional('groupBy');
    return raw === null ? SatisfactionGrouping.QUESTION : this.oneOf('groupBy', raw, Object.values(SatisfactionGrouping));
  }

  round(): ScoreRound {
    return this.oneOf('round', this.required('round', 'APPRAISAL'), Object.values(ScoreRound));
  }

  bool(name: string): boolean {
    const raw = this.optional(name);
    if (raw === null) return false;
    return this.oneOf(name, raw.toLowerCase(), ['true', 'false', '1', '0']) === 'true' || raw === '1';
  }

  /**
   * `version` of a published year (API.md, "Amending a published year"):
   * null when omitted (the version the caller reads by default). A version
   * that does not exist, or that the caller may not read, reads as absent,
   * as GraphQL's rankings(version:) and Unit.result(year, version) answer.
   */
  version(): number | null {
    const raw = this.optional('version');
    if (raw === null) return null;
    if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw badParam('version', `version ${quoted(raw)} is not a version: give a whole number from 1`);
    return Number(raw);
  }
}
