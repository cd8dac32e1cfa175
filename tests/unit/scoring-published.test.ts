import {
  type BandSpec,
  classify,
  computeUnitResult,
  DEFAULT_BANDS,
  type FrameworkSpec,
  type PanelScore,
  rankChange,
  rankItems,
  roundHalfUp2,
  ScoringDecimal,
  summarize,
  type UnitInput,
  type UnitOutcome,
} from '../../src/scoring';

/*
 * The published facts of DOMAIN.md, rebuilt from inputs. The real
 * announcements give only the final indices; the points below are made up so
 * that the method, applied by hand, gives exactly the published figures.
 * Names and figures not in DOMAIN.md are marked "illustrative".
 *
 * A provincial framework of 100 points, 70 from the appraisal council and 30
 * from satisfaction surveys (as in Nam Định and Hà Nội):
 *
 *   LV1 Công tác chỉ đạo, điều hành CCHC            LV1.1 EXPERT  8
 *   LV2 Cải cách thể chế                              LV2.1 EXPERT  7
 *   LV3 Cải cách thủ tục hành chính                   LV3.1 EXPERT 10   LV3.2 SURVEY 10
 *   LV4 Cải cách tổ chức bộ máy hành chính nhà nước   LV4.1 EXPERT  8
 *   LV5 Cải cách chế độ công vụ                       LV5.1 EXPERT  9
 *   LV6 Cải cách tài chính công                       LV6.1 EXPERT  8
 *   LV7 Xây dựng và phát triển chính quyền số         LV7.1 EXPERT 10
 *   LV8 Tác động của CCHC                             LV8.1 EXPERT 10   LV8.2 SURVEY 20
 *
 * With every leaf applicable, max = 100 and the index is simply the earned points.
 */
const EXPERT_LEAVES = ['LV1.1', 'LV2.1', 'LV3.1', 'LV4.1', 'LV5.1', 'LV6.1', 'LV7.1', 'LV8.1'];

function provincialFramework(bands: BandSpec[] = DEFAULT_BANDS): FrameworkSpec {
  const expertMax = ['8', '7', '10', '8', '9', '8', '10', '10'];
  return {
    domains: [
      { code: 'LV1', name: 'Công tác chỉ đạo, điều hành CCHC' },
      { code: 'LV2', name: 'Cải cách thể chế' },
      { code: 'LV3', name: 'Cải cách thủ tục hành chính' },
      { code: 'LV4', name: 'Cải cách tổ chức bộ máy hành chính nhà nước' },
      { code: 'LV5', name: 'Cải cách chế độ công vụ' },
      { code: 'LV6', name: 'Cải cách tài chính công' },
      { code: 'LV7', name: 'Xây dựng và phát triển chính quyền điện tử, chính quyền số' },
      { code: 'LV8', name: 'Tác động của CCHC đến người dân, tổ chức và phát triển KT-XH' },
    ],
    leaves: [
      ...EXPERT_LEAVES.map((code, i) => ({
        id: code,
        code,
        domainCode: code.slice(0, 3),
        maxPoints: expertMax[i],
        source: 'EXPERT' as const,
      })),
      { id: 'LV3.2', code: 'LV3.2', domainCode: 'LV3', maxPoints: '10', source: 'SURVEY' },
      { id: 'LV8.2', code: 'LV8.2', domainCode: 'LV8', maxPoints: '20', source: 'SURVEY' },
    ],
    aggregation: 'MEAN',
    minResponses: 30,
    maxBonus: '0',
    maxPenalty: '0',
    bands,
  };
}

type Tally = [responses: number, answers: number, satisfied: number];

/**
 * A unit's input: per expert leaf (in EXPERT_LEAVES order) either the points
 * of a single appraiser, or the panel entries themselves; and the tallies of
 * LV3.2 and LV8.2.
 */
function unitInput(expert: (string | PanelScore[])[], lv32: Tally, lv82: Tally): UnitInput {
  return {
    panelScores: expert.flatMap((entry, i) =>
      typeof entry === 'string'
        ? [{ leafId: EXPERT_LEAVES[i], round: 'APPRAISAL' as const, panelist: 'HĐ1', points: entry, notApplicable: false }]
        : entry,
    ),
    adjustments: [],
    surveyTallies: [
      { leafId: 'LV3.2', responses: lv32[0], answers: lv32[1], satisfied: lv32[2] },
      { leafId: 'LV8.2', responses: lv82[0], answers: lv82[1], satisfied: lv82[2] },
    ],
  };
}

const entry = (leafId: string, round: PanelScore['round'], panelist: string, points: string | null): PanelScore => ({
  leafId,
  round,
  panelist,
  points,
  notApplicable: points === null,
});

interface Scored {
  key: string;
  name: string;
  code: string;
  outcome: UnitOutcome;
  score: UnitOutcome['score'];
}

function score(framework: FrameworkSpec, units: { name: string; code: string; input: UnitInput }[]): Scored[] {
  return units.map((u) => {
    const outcome = computeUnitResult(framework, u.input);
    return { key: u.code, name: u.name, code: u.code, outcome, score: outcome.score };
  });
}

/** A published table: [rank, name, index, band]. */
const table = (scored: Scored[]) =>
  rankItems(scored).map(({ item, rank }) => [rank, item.name, item.score!.toFixed(2), item.outcome.band?.code]);

const summaryOf = (scored: Scored[], bands: BandSpec[] = DEFAULT_BANDS) =>
  summarize(
    rankItems(scored).map(({ item }) => ({ key: item.key, score: item.score!, bandCode: item.outcome.band?.code ?? null })),
    bands,
  );

describe('Thừa Thiên Huế 2023', () => {
  const framework = provincialFramework();

  const departments = score(framework, [
    {
      // Sở Tư pháp 92.62
      // expert 7.50 + 6.75 + 9.25 + 7.50 + 8.25 + 7.47 + (8.75 + 9.25)/2 + 9.00 = 64.72
      // survey 10 × 190/200 = 9.50; 20 × 460/500 = 18.40 → 27.90; index 92.62
      name: 'Sở Tư pháp',
      code: 'STP',
      input: unitInput(
        [
          '7.50',
          '6.75',
          '9.25',
          '7.50',
          '8.25',
          '7.47',
          [entry('LV7.1', 'APPRAISAL', 'HĐ1', '8.75'), entry('LV7.1', 'APPRAISAL', 'HĐ2', '9.25')],
          '9.00',
        ],
        [120, 200, 190],
        [300, 500, 460],
      ),
    },
    {
      // Văn phòng UBND tỉnh 90.89: public finance (LV6.1, 8 points) marked not applicable by both
      // appraisers, so max = 92.
      // expert 7.50 + 6.50 + 9.22 + 7.50 + 8.25 + 8.25 + 8.50 = 55.72 of 62
      // survey 10 × 285/300 = 9.50; 20 × 1104/1200 = 18.40 → 27.90
      // earned 83.62; index 100 × 83.62 / 92 = 90.8913… → 90.89
      name: 'Văn phòng UBND tỉnh',
      code: 'VP',
      input: unitInput(
        [
          '7.50',
          '6.50',
          '9.22',
          '7.50',
          '8.25',
          [entry('LV6.1', 'APPRAISAL', 'HĐ1', null), entry('LV6.1', 'APPRAISAL', 'HĐ2', null)],
          '8.25',
          '8.50',
        ],
        [150, 300, 285],
        [600, 1200, 1104],
      ),
    },
    {
      // Sở Ngoại vụ 90.83: LV5.1 appraised 7.00, reappraised 8.00 after the unit's explanation.
      // expert 7.50 + 6.50 + 9.00 + 7.50 + 8.00 + 7.43 + 8.75 + 8.75 = 63.43
      // survey 10 × 36/40 = 9.00; 20 × 92/100 = 18.40 → 27.40; index 90.83
      name: 'Sở Ngoại vụ',
      code: 'SNGV',
      input: unitInput(
        [
          '7.50',
          '6.50',
          '9.00',
          '7.50',
          [entry('LV5.1', 'APPRAISAL', 'HĐ1', '7.00'), entry('LV5.1', 'REAPPRAISAL', 'HĐ1', '8.00')],
          '7.43',
          '8.75',
          '8.75',
        ],
        [40, 40, 36],
        [50, 100, 92],
      ),
    },
    {
      // Sở Nông nghiệp và PTNT 90.91
      // expert 7.25 + 6.50 + 9.00 + 7.75 + 8.50 + 7.28 + 8.75 + 8.50 = 63.53
      // survey 10 × 183/200 = 9.15; 20 × 547/600 = 18.2333… → 27.3833…
      // index 90.91333… → 90.91
      name: 'Sở Nông nghiệp và PTNT',
      code: 'SNN',
      input: unitInput(['7.25', '6.50', '9.00', '7.75', '8.50', '7.28', '8.75', '8.50'], [100, 200, 183], [300, 600, 547]),
    },
    {
      // illustrative: expert 60.00; survey 10 × 150/200 = 7.50; 20 × 400/500 = 16.00 → 83.50
      name: 'Sở Xây dựng',
      code: 'SXD',
      input: unitInput(['7.00', '6.00', '8.50', '7.00', '8.00', '7.00', '8.00', '8.50'], [100, 200, 150], [250, 500, 400]),
    },
  ]);

  it('ranks the departments 92.62, 90.91, 90.89, 90.83: four units "Xuất sắc"', () => {
    expect(table(departments)).toEqual([
      [1, 'Sở Tư pháp', '92.62', 'EXCELLENT'],
      [2, 'Sở Nông nghiệp và PTNT', '90.91', 'EXCELLENT'],
      [3, 'Văn phòng UBND tỉnh', '90.89', 'EXCELLENT'],
      [4, 'Sở Ngoại vụ', '90.83', 'EXCELLENT'],
      [5, 'Sở Xây dựng', '83.50', 'GOOD'],
    ]);
    expect(summaryOf(departments).bands[0]).toEqual({ code: 'EXCELLENT', count: 4 });
  });

  it('shows how each published figure was reached', () => {
    const [stp, vp, sngv, snn] = departments.map((d) => d.outcome);
    expect(stp.earned.toString()).toBe('92.62');
    expect(stp.expertScore?.toFixed(2)).toBe('92.46'); // 64.72 / 70 = 92.457…
    expect(stp.surveyScore?.toFixed(2)).toBe('93.00'); // 27.90 / 30
    expect(vp.max.toString()).toBe('92');
    expect(vp.earned.toString()).toBe('83.62');
    expect(vp.domains.find((d) => d.code === 'LV6')?.score).toBeNull();
    expect(sngv.leaves.find((l) => l.leafId === 'LV5.1')).toMatchObject({ round: 'REAPPRAISAL' });
    expect(snn.earned.toFixed(5)).toBe('90.91333');
    expect(departments.every((d) => !d.outcome.provisional && !d.outcome.surveyInsufficient)).toBe(true);
  });

  it('ranks the districts separately: none "Xuất sắc", Phong Điền 86.19 "Tốt" first', () => {
    // same scheme; surveys 10 × 160/200 = 8.00 and 20 × 450/500 = 18.00 → 26.00 for each
    // expert: Phong Điền 7 + 6 + 8.5 + 7 + 8 + 7 + 8.19 + 8.5 = 60.19 → 86.19
    //         Quảng Điền                          … 7.77 + 8.5 = 59.77 → 85.77
    //         Phú Vang                            … 7.36 + 8.0 = 58.86 → 84.86
    const survey: [Tally, Tally] = [
      [100, 200, 160],
      [250, 500, 450],
    ];
    const districts = score(provincialFramework(), [
      { name: 'Phú Vang', code: 'PV', input: unitInput(['7', '6', '8.5', '7', '8', '7', '7.36', '8'], ...survey) },
      { name: 'Quảng Điền', code: 'QD', input: unitInput(['7', '6', '8.5', '7', '8', '7', '7.77', '8.5'], ...survey) },
      { name: 'Phong Điền', code: 'PD', input: unitInput(['7', '6', '8.5', '7', '8', '7', '8.19', '8.5'], ...survey) },
    ]);
    expect(table(districts)).toEqual([
      [1, 'Phong Điền', '86.19', 'GOOD'],
      [2, 'Quảng Điền', '85.77', 'GOOD'],
      [3, 'Phú Vang', '84.86', 'GOOD'],
    ]);
    expect(summaryOf(districts).bands.find((b) => b.code === 'EXCELLENT')?.count).toBe(0);
    expect(districts[2].outcome.band?.label).toBe('Tốt');
  });
});

describe('Hà Nội 2023', () => {
  it('ties Nam Từ Liêm and Hoàn Kiếm at 95.70 in 2nd place; Cầu Giấy 95.22 is 4th', () => {
    // expert [8, 7, 9.5, 8, 8.5, 8, 9, 9.5] = 67.50; LV3.2 10 × 196/200 = 9.80; LV8.2 out of 5,000 answers:
    //   Hoàn Kiếm   20 × 4599/5000 = 18.396 → 67.50 + 9.80 + 18.396 = 95.696 → 95.70
    //   Nam Từ Liêm 20 × 4601/5000 = 18.404 →                       95.704 → 95.70
    //   Cầu Giấy    expert 67.02 (LV7.1 8.52), 20 × 4600/5000 = 18.40 → 95.22
    //   illustrative leader: expert 68.00 (LV3.1 10), 20 × 4650/5000 = 18.60 → 96.40
    // Hoàn Kiếm is listed before Nam Từ Liêm (Vietnamese order) although its exact index is lower.
    const expert = ['8', '7', '9.5', '8', '8.5', '8', '9', '9.5'];
    const lv32: Tally = [120, 200, 196];
    const districts = score(provincialFramework(), [
      { name: 'Nam Từ Liêm', code: 'NTL', input: unitInput(expert, lv32, [2500, 5000, 4601]) },
      { name: 'Cầu Giấy', code: 'CG', input: unitInput(['8', '7', '9.5', '8', '8.5', '8', '8.52', '9.5'], lv32, [2500, 5000, 4600]) },
      { name: 'Hoàn Kiếm', code: 'HK', input: unitInput(expert, lv32, [2500, 5000, 4599]) },
      { name: 'Quận A (illustrative)', code: 'A', input: unitInput(['8', '7', '10', '8', '8.5', '8', '9', '9.5'], lv32, [2500, 5000, 4650]) },
    ]);
    expect(districts.find((d) => d.code === 'HK')?.outcome.earned.toString()).toBe('95.696');
    expect(districts.find((d) => d.code === 'NTL')?.outcome.earned.toString()).toBe('95.704');
    expect(table(districts)).toEqual([
      [1, 'Quận A (illustrative)', '96.40', 'EXCELLENT'],
      [2, 'Hoàn Kiếm', '95.70', 'EXCELLENT'],
      [2, 'Nam Từ Liêm', '95.70', 'EXCELLENT'],
      [4, 'Cầu Giấy', '95.22', 'EXCELLENT'],
    ]);
  });
});

describe('Nam Định: Vụ Bản 2023', () => {
  // Nam Định's own bands: group I from 80 (the lower groups are illustrative)
  const namDinhBands: BandSpec[] = [
    { code: 'GROUP_I', label: 'Nhóm I', minScore: '80' },
    { code: 'GROUP_II', label: 'Nhóm II', minScore: '65' },
    { code: 'GROUP_III', label: 'Nhóm III', minScore: '50' },
    { code: 'GROUP_IV', label: 'Nhóm IV', minScore: '0' },
  ];

  it('scores Vụ Bản 85.63, group I, 6th of 10, up 3 places on 2022', () => {
    // expert 7 + 6 + 8.5 + 7 + 8 + 7 + 7.63 + 8.5 = 59.63; survey 8.00 + 18.00 = 26.00 → 85.63
    const vuBan = computeUnitResult(
      provincialFramework(namDinhBands),
      unitInput(['7', '6', '8.5', '7', '8', '7', '7.63', '8.5'], [100, 200, 160], [250, 500, 450]),
    );
    expect(vuBan.score!.toFixed(2)).toBe('85.63');
    expect(vuBan.band?.label).toBe('Nhóm I');

    // the other nine districts' indices are illustrative
    const others2023: [string, string][] = [
      ['Thành phố Nam Định', '91.20'],
      ['Hải Hậu', '88.40'],
      ['Giao Thủy', '87.95'],
      ['Xuân Trường', '86.70'],
      ['Nghĩa Hưng', '86.02'],
      ['Trực Ninh', '84.90'],
      ['Ý Yên', '83.15'],
      ['Nam Trực', '82.60'],
      ['Mỹ Lộc', '80.35'],
    ];
    const others2022: [string, string][] = [
      ['Thành phố Nam Định', '90.10'],
      ['Hải Hậu', '88.00'],
      ['Giao Thủy', '87.10'],
      ['Xuân Trường', '86.30'],
      ['Nghĩa Hưng', '85.80'],
      ['Trực Ninh', '85.10'],
      ['Ý Yên', '84.20'],
      ['Nam Trực', '83.40'],
      ['Mỹ Lộc', '81.00'],
    ];
    const ranking = (rows: [string, string][]) =>
      new Map(
        rankItems(rows.map(([name, s]) => ({ key: name, name, code: name, score: new ScoringDecimal(s) }))).map(
          ({ item, rank }) => [item.key, rank],
        ),
      );
    const y2022 = ranking([...others2022, ['Vụ Bản', '82.50']]);
    const y2023 = ranking([...others2023, ['Vụ Bản', vuBan.score!.toFixed(2)]]);
    expect(y2022.get('Vụ Bản')).toBe(9);
    expect(y2023.get('Vụ Bản')).toBe(6);
    expect(y2023.size).toBe(10);
    expect(rankChange(y2022.get('Vụ Bản'), y2023.get('Vụ Bản') as number)).toBe(3);
  });
});

describe('Thừa Thiên Huế 2020', () => {
  it('has 21 of 21 departments "Tốt", none Xuất sắc, Khá or Trung bình; Sở Nội vụ 87.87 first', () => {
    // Sở Nội vụ's 87.87 is published; the others are illustrative, all within [80, 87.87),
    // including 80.00 exactly and 79.995, which publishes as 80.00.
    const rows: [string, string][] = [
      ['Sở Nội vụ', '87.87'],
      ['Sở Tư pháp', '87.50'],
      ['Sở Kế hoạch và Đầu tư', '87.12'],
      ['Sở Tài chính', '86.90'],
      ['Sở Công Thương', '86.41'],
      ['Sở Nông nghiệp và PTNT', '86.05'],
      ['Sở Giao thông vận tải', '85.77'],
      ['Sở Xây dựng', '85.30'],
      ['Sở Tài nguyên và Môi trường', '84.96'],
      ['Sở Thông tin và Truyền thông', '84.50'],
      ['Sở Lao động - Thương binh và Xã hội', '84.12'],
      ['Sở Văn hóa và Thể thao', '83.80'],
      ['Sở Du lịch', '83.44'],
      ['Sở Khoa học và Công nghệ', '83.01'],
      ['Sở Giáo dục và Đào tạo', '82.65'],
      ['Sở Y tế', '82.20'],
      ['Sở Ngoại vụ', '81.90'],
      ['Thanh tra tỉnh', '81.35'],
      ['Văn phòng UBND tỉnh', '80.88'],
      ['Ban Dân tộc', '80.00'],
      ['Ban Quản lý Khu kinh tế, công nghiệp tỉnh', '79.995'],
    ];
    const ranked = rankItems(rows.map(([name, s]) => ({ key: name, name, code: name, score: new ScoringDecimal(s) })));
    const summary = summarize(
      ranked.map(({ item }) => ({ key: item.key, score: item.score, bandCode: classify(item.score, DEFAULT_BANDS)?.code ?? null })),
      DEFAULT_BANDS,
    );
    expect(summary.count).toBe(21);
    expect(summary.bands).toEqual([
      { code: 'EXCELLENT', count: 0 },
      { code: 'GOOD', count: 21 },
      { code: 'FAIR', count: 0 },
      { code: 'AVERAGE', count: 0 },
      { code: 'WEAK', count: 0 },
    ]);
    expect(summary.highestKey).toBe('Sở Nội vụ');
    expect(ranked[0]).toMatchObject({ rank: 1, item: { name: 'Sở Nội vụ' } });
    // 80.00 and 79.995 tie once rounded; Ban Dân tộc before Ban Quản lý… in Vietnamese order
    expect(ranked.slice(-2).map(({ item, rank }) => [rank, item.name])).toEqual([
      [20, 'Ban Dân tộc'],
      [20, 'Ban Quản lý Khu kinh tế, công nghiệp tỉnh'],
    ]);
  });
});

describe('Bình Phước 2023', () => {
  it('averages the rounded indices of departments: 88.05, highest Sở KH&ĐT 93.96, lowest Sở TN&MT 73.00', () => {
    // four departments (the two others are illustrative), LV8.2 20 × 920/1000 = 18.40 for all,
    // LV3.2 out of 10,000 answers:
    //   Sở KH&ĐT   expert 66.00 + 10 × 9564/10000 = 9.564 + 18.40 = 93.964 → 93.96
    //   Sở TN&MT   expert 48.00 + 10 × 6604/10000 = 6.604 + 18.40 = 73.004 → 73.00
    //   Sở Tài chính 65.00 + 8.724 + 18.40 = 92.124 → 92.12
    //   Sở Tư pháp   66.00 + 8.734 + 18.40 = 93.134 → 93.13
    // average of the rounded indices: 352.21 / 4 = 88.0525 → 88.05 (published);
    // averaging the exact indices would give 352.226 / 4 = 88.0565 → 88.06.
    const lv82: Tally = [500, 1000, 920];
    const e66 = ['8', '7', '9.5', '8', '8.5', '8', '8.5', '8.5'];
    const departments = score(provincialFramework(), [
      { name: 'Sở Kế hoạch và Đầu tư', code: 'KHDT', input: unitInput(e66, [5000, 10000, 9564], lv82) },
      { name: 'Sở Tư pháp', code: 'TP', input: unitInput(e66, [5000, 10000, 8734], lv82) },
      {
        name: 'Sở Tài chính',
        code: 'TC',
        input: unitInput(['8', '7', '9.5', '8', '8.5', '8', '8', '8'], [5000, 10000, 8724], lv82),
      },
      {
        name: 'Sở Tài nguyên và Môi trường',
        code: 'TNMT',
        input: unitInput(['6', '5', '7', '6', '6.5', '6', '6.5', '5'], [5000, 10000, 6604], lv82),
      },
    ]);
    expect(departments.map((d) => d.outcome.earned.toString())).toEqual(['93.964', '93.134', '92.124', '73.004']);
    const summary = summaryOf(departments);
    expect(summary.average?.toFixed(2)).toBe('88.05');
    const exactAverage = departments.reduce((sum, d) => sum.plus(d.outcome.earned), new ScoringDecimal(0)).div(4);
    expect(roundHalfUp2(exactAverage).toFixed(2)).toBe('88.06'); // what the summary must not do
    expect(summary.highestKey).toBe('KHDT');
    expect(summary.lowestKey).toBe('TNMT');
    expect(table(departments).at(-1)).toEqual([4, 'Sở Tài nguyên và Môi trường', '73.00', 'FAIR']);
  });

  it('averages districts 89.33 with TP Đồng Xoài 95.30 highest (other districts illustrative)', () => {
    // (95.30 + 88.00 + 84.69) / 3 = 267.99 / 3 = 89.33
    const rows = [
      ['Bù Đăng', '84.69'],
      ['Thành phố Đồng Xoài', '95.30'],
      ['Chơn Thành', '88.00'],
    ].map(([name, s]) => ({ key: name, name, code: name, score: new ScoringDecimal(s) }));
    const ranked = rankItems(rows);
    const summary = summarize(
      ranked.map(({ item }) => ({ key: item.key, score: item.score, bandCode: classify(item.score, DEFAULT_BANDS)?.code ?? null })),
      DEFAULT_BANDS,
    );
    expect(summary.average?.toFixed(2)).toBe('89.33');
    expect(summary.highestKey).toBe('Thành phố Đồng Xoài');
    expect(summary.lowestKey).toBe('Bù Đăng');
  });
});
