import { DEFAULT_BANDS, type FrameworkSpec } from '../../src/scoring';

/*
 * A small framework for the rules, 50 points:
 *
 *   domain TTHC "Cải cách thủ tục hành chính"
 *     E1  LV3.1  EXPERT  max 10
 *     S1  LV3.2  SURVEY  max 10
 *   domain CV "Cải cách chế độ công vụ"
 *     E2  LV5.1  EXPERT  max 20
 *     E3  LV5.2  EXPERT  max 10
 *
 * Expert part 40, survey part 10. With every leaf applicable the index is
 * 100 × earned / 50 = 2 × earned.
 */
export function framework(overrides: Partial<FrameworkSpec> = {}): FrameworkSpec {
  return {
    domains: [
      { code: 'TTHC', name: 'Cải cách thủ tục hành chính' },
      { code: 'CV', name: 'Cải cách chế độ công vụ' },
    ],
    leaves: [
      { id: 'E1', code: 'LV3.1', domainCode: 'TTHC', maxPoints: '10', source: 'EXPERT' },
      { id: 'S1', code: 'LV3.2', domainCode: 'TTHC', maxPoints: '10', source: 'SURVEY' },
      { id: 'E2', code: 'LV5.1', domainCode: 'CV', maxPoints: '20', source: 'EXPERT' },
      { id: 'E3', code: 'LV5.2', domainCode: 'CV', maxPoints: '10', source: 'EXPERT' },
    ],
    aggregation: 'MEAN',
    minResponses: 30,
    maxBonus: '0',
    maxPenalty: '0',
    bands: DEFAULT_BANDS,
    ...overrides,
  };
}

